package buffer

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// spanBytes is the size of one typical 8-attribute span in OTLP protobuf, used to turn
// chunk rates into span rates.
const spanBytes = 300

func BenchmarkPush(b *testing.B) {
	for _, size := range []int{4 << 10, 40 << 10, 512 << 10} {
		b.Run(fmt.Sprintf("%dKiB", size>>10), func(b *testing.B) {
			buf, _ := openTemp(b, WithMaxBytes(1<<40)) // no eviction: the write path alone
			data := chunk(1, 1, size)
			ctx := context.Background()
			b.SetBytes(int64(size))
			b.ResetTimer()
			for b.Loop() {
				if _, err := buf.Push(ctx, data, MimeProtobuf); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "chunks/s")
			b.ReportMetric(float64(b.N)*float64(size)/spanBytes/b.Elapsed().Seconds(), "spans/s")
		})
	}
}

// BenchmarkPushOverCap pushes 40 KiB chunks into a full buffer with the default cap, so
// every push evicts.
func BenchmarkPushOverCap(b *testing.B) {
	const size = 40 << 10
	buf, path := openTemp(b)
	ctx := context.Background()
	data := chunk(1, 1, size)
	for range DefaultMaxBytes/size + 10 {
		if _, err := buf.Push(ctx, data, MimeProtobuf); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(size)
	b.ResetTimer()
	for b.Loop() {
		if _, err := buf.Push(ctx, data, MimeProtobuf); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)*size/spanBytes/b.Elapsed().Seconds(), "spans/s")
	b.ReportMetric(float64(fileSize(b, path))/(1<<20), "file-MiB")
}

// BenchmarkOpenFreshProcess measures what every hook pays: a new process opening the
// buffer (creating it and its schema the first time) and closing it.
func BenchmarkOpenFreshProcess(b *testing.B) {
	for _, existing := range []bool{false, true} {
		name := map[bool]string{false: "create", true: "existing"}[existing]
		b.Run(name, func(b *testing.B) {
			dir := b.TempDir()
			path := filepath.Join(dir, ".tracing-data.db")
			if existing {
				buf, err := Open(path)
				if err != nil {
					b.Fatal(err)
				}
				buf.Push(context.Background(), make([]byte, 4096), MimeProtobuf)
				buf.Close()
			}
			var inChild time.Duration
			for b.Loop() {
				if !existing {
					os.Remove(path)
				}
				cmd := exec.Command(os.Args[0], "-test.run=^$")
				cmd.Env = append(os.Environ(), "BUFFER_TEST_CHILD=open", "BUFFER_TEST_PATH="+path)
				out, err := cmd.Output()
				if err != nil {
					b.Fatalf("%v: %s", err, out)
				}
				d, err := time.ParseDuration(string(out))
				if err != nil {
					b.Fatalf("child said %q", out)
				}
				inChild += d
			}
			b.ReportMetric(float64(inChild.Microseconds())/float64(b.N), "open-close-µs")
		})
	}
}
