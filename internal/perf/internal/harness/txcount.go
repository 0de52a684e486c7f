package harness

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
)

// CountWALCommits counts the commit frames of the current generation of a SQLite WAL
// file: one per write transaction that changed the database since the WAL was last
// restarted. A missing or empty WAL has none. It reads the file format documented at
// sqlite.org/fileformat.html#the_write_ahead_log; salts tell the frames of the
// current generation from stale ones left behind by a restart.
func CountWALCommits(path string) (int, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	if len(b) < 32 {
		return 0, nil
	}
	be := binary.BigEndian
	if magic := be.Uint32(b); magic&^1 != 0x377f0682 {
		return 0, fmt.Errorf("%s: not a WAL file (magic %#x)", path, magic)
	}
	pageSize := int(be.Uint32(b[8:]))
	if pageSize == 1 { // the encoding of 65536
		pageSize = 65536
	}
	if pageSize < 512 || pageSize&(pageSize-1) != 0 {
		return 0, fmt.Errorf("%s: bad page size %d", path, pageSize)
	}
	salt1, salt2 := be.Uint32(b[16:]), be.Uint32(b[20:])
	commits := 0
	for off := 32; off+24+pageSize <= len(b); off += 24 + pageSize {
		f := b[off:]
		if be.Uint32(f[8:]) != salt1 || be.Uint32(f[12:]) != salt2 {
			break // frames past here belong to an earlier generation
		}
		if be.Uint32(f[4:]) != 0 {
			commits++
		}
	}
	return commits, nil
}

// StraceCounts is what an strace of one dispatch shows of its network and buffer
// activity.
type StraceCounts struct {
	Sockets  int `json:"sockets"`  // socket(2) calls
	Connects int `json:"connects"` // connect(2) calls
	// Write transactions on the buffer: spans holding SQLite's WAL write lock (byte
	// 120 of the -shm file). Those that appended to the WAL, those that wrote nothing,
	// and the WAL-index recoveries an open performs under the same lock.
	WriteTx      int `json:"write_tx"`
	EmptyWriteTx int `json:"empty_write_tx"`
	Recoveries   int `json:"recoveries"`
	Fsyncs       int `json:"fsyncs"` // fsync and fdatasync calls, of any file
}

var straceCall = regexp.MustCompile(`^(?:\[pid\s+)?\d*\]?\s*(?:\d+:\d+:\d+\.\d+\s+)?(socket|connect|fcntl|pwrite64|fsync|fdatasync)\((.*)$`)

// ParseStrace reads `strace -f -y -e trace=socket,connect,fcntl,pwrite64,fsync,fdatasync`
// output and counts the activity on the buffer file named by bufferName (its base
// name, e.g. .tracing-data.db) and the sockets. Calls split by -f into "unfinished"
// and "resumed" lines are counted by their first half, which holds the arguments.
func ParseStrace(r io.Reader, bufferName string) (StraceCounts, error) {
	var c StraceCounts
	inTx, wrote, recovering := false, false, false
	sc := bufio.NewScanner(r)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		m := straceCall.FindStringSubmatch(strings.TrimSpace(sc.Text()))
		if m == nil {
			continue
		}
		call, args := m[1], m[2]
		switch call {
		case "socket":
			c.Sockets++
		case "connect":
			c.Connects++
		case "fsync", "fdatasync":
			c.Fsyncs++
		case "pwrite64":
			if inTx && strings.Contains(args, bufferName+"-wal>") {
				wrote = true
			}
		case "fcntl":
			if !strings.Contains(args, bufferName+"-shm>") || !strings.Contains(args, "F_SETLK") {
				continue
			}
			switch {
			case strings.Contains(args, "F_WRLCK") && strings.Contains(args, "l_start=120,"):
				inTx, wrote, recovering = true, false, false
			case inTx && strings.Contains(args, "F_WRLCK") && strings.Contains(args, "l_start=121,"):
				recovering = true
			case inTx && strings.Contains(args, "F_UNLCK") && strings.Contains(args, "l_start=120,"):
				switch {
				case recovering:
					c.Recoveries++
				case wrote:
					c.WriteTx++
				default:
					c.EmptyWriteTx++
				}
				inTx = false
			}
		}
	}
	return c, sc.Err()
}
