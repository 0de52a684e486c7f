package harness

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/charmtrace/charmtrace/internal/testcerts"
)

// ReceiverKind says how a Receiver answers.
type ReceiverKind string

const (
	// Discard reads each request body and answers 200 with an empty body, which an
	// OTLP/HTTP client reads as full success. It measures the sender, not a decoder.
	Discard ReceiverKind = "discard"
	// Blackhole accepts connections and never reads or answers: the receiver that
	// Shutdown's budget exists for.
	Blackhole ReceiverKind = "blackhole"
)

// ReceiverStats counts what a Receiver saw.
type ReceiverStats struct {
	Connections int64 `json:"connections"`
	Requests    int64 `json:"requests"`
	Bytes       int64 `json:"bytes"`
}

// Receiver is a loopback trace receiver for the process-level measurements.
type Receiver struct {
	URL   string // base URL, as Tempo publishes it (no path)
	CAPEM []byte // the CA that signed its certificate; nil for plain http

	ln    net.Listener
	srv   *http.Server
	conns sync.Map // blackhole connections, closed by Close
	stats struct{ conns, reqs, bytes atomic.Int64 }
	wg    sync.WaitGroup
}

// StartReceiver listens on 127.0.0.1 on a port the kernel picks. With tlsOn it serves
// HTTPS with a leaf of a CA made for the occasion (for a blackhole, the TLS handshake
// is never answered either).
func StartReceiver(kind ReceiverKind, tlsOn bool) (*Receiver, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	r := &Receiver{ln: ln}
	scheme := "http"
	if tlsOn {
		scheme = "https"
		ca, err := testcerts.NewRoot("charmtrace perf CA")
		if err != nil {
			ln.Close()
			return nil, err
		}
		leaf, err := ca.NewLeaf(testcerts.LeafOptions{Hosts: []string{"127.0.0.1"}, NotAfter: time.Now().Add(24 * time.Hour)})
		if err != nil {
			ln.Close()
			return nil, err
		}
		r.CAPEM = ca.PEM()
		if kind == Discard {
			ln = tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{leaf}, MinVersion: tls.VersionTLS12})
		}
	}
	r.URL = fmt.Sprintf("%s://%s", scheme, r.ln.Addr())
	switch kind {
	case Discard:
		r.srv = &http.Server{
			Handler:           http.HandlerFunc(r.discard),
			ReadHeaderTimeout: 10 * time.Second,
			ConnState: func(_ net.Conn, s http.ConnState) {
				if s == http.StateNew {
					r.stats.conns.Add(1)
				}
			},
		}
		r.wg.Go(func() { r.srv.Serve(ln) })
	case Blackhole:
		r.wg.Go(r.hold)
	default:
		ln.Close()
		return nil, fmt.Errorf("receiver: unknown kind %q", kind)
	}
	return r, nil
}

func (r *Receiver) discard(w http.ResponseWriter, req *http.Request) {
	r.stats.reqs.Add(1)
	n, _ := io.Copy(io.Discard, req.Body)
	r.stats.bytes.Add(n)
	if req.Method != http.MethodPost {
		w.WriteHeader(http.StatusMethodNotAllowed)
		return
	}
	w.Header().Set("Content-Type", "application/x-protobuf")
	w.WriteHeader(http.StatusOK)
}

// hold accepts connections and keeps them open, unread, until Close.
func (r *Receiver) hold() {
	for {
		c, err := r.ln.Accept()
		if err != nil {
			return
		}
		r.stats.conns.Add(1)
		r.conns.Store(c, struct{}{})
	}
}

// Stats returns the counts so far.
func (r *Receiver) Stats() ReceiverStats {
	return ReceiverStats{Connections: r.stats.conns.Load(), Requests: r.stats.reqs.Load(), Bytes: r.stats.bytes.Load()}
}

// Close stops the receiver and drops its connections.
func (r *Receiver) Close() error {
	var err error
	if r.srv != nil {
		err = r.srv.Close()
	} else {
		err = r.ln.Close()
	}
	r.wg.Wait() // hold has returned: no connection is added after this
	r.conns.Range(func(c, _ any) bool { c.(net.Conn).Close(); return true })
	if errors.Is(err, net.ErrClosed) {
		err = nil
	}
	return err
}
