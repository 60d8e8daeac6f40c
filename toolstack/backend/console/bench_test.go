package console

import (
	"io"
	"log/slog"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/xenolith/xenolith/toolstack/internal/sharedpage"
)

// BenchmarkConsoleOutput measures guest output through the fake ring: a
// fake guest fills out[] as fast as the back end frees it, in 4 KiB
// writes (two ring's worth, so it waits for space on every write). MB/s
// is the throughput of the whole path: ring copy, notify, history, and
// with a reader its queue and channel (and with logfile a file write per
// chunk). With a reader, the guest stays within 512 KiB of it: an
// unpaced guest writes at memory speed and a reader more than 1 MiB
// behind is dropped by design.
func BenchmarkConsoleOutput(b *testing.B) {
	for _, c := range []struct {
		name            string
		reader, logFile bool
	}{{"ring", false, false}, {"reader", true, false}, {"reader+logfile", true, true}} {
		b.Run(c.name, func(b *testing.B) {
			const write = 4096
			fr := newFakeRing()
			cfg := Config{Domid: 1, Ring: fr, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
			if c.logFile {
				cfg.LogPath = filepath.Join(b.TempDir(), "console.log")
			}
			be, err := New(cfg)
			if err != nil {
				b.Fatal(err)
			}
			defer be.Close()
			total := int64(b.N) * write
			var read atomic.Int64
			got := make(chan int64, 1)
			if c.reader {
				_, out, cancel := be.Subscribe()
				defer cancel()
				go func() {
					for p := range out {
						if read.Add(int64(len(p))) >= total {
							break
						}
					}
					got <- read.Load()
				}()
			}
			data := make([]byte, write)
			for i := range data {
				data[i] = byte('a' + i%26)
			}
			g := &fakeGuest{r: fr}
			whole := func() int { return write }
			b.SetBytes(write)
			b.ResetTimer()
			for i := range b.N {
				for c.reader && int64(i)*write-read.Load() > 512<<10 {
					runtime.Gosched()
				}
				if n := g.produce(data, whole, time.Now().Add(10*time.Second)); n != write {
					b.Fatalf("guest blocked after %d bytes", n)
				}
			}
			if c.reader {
				if n := <-got; n != total {
					b.Fatalf("reader got %d of %d bytes", n, total)
				}
			} else {
				for sharedpage.Load32(fr.page, offOutCons) != g.outProd {
					runtime.Gosched()
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(fr.notifies.Load())/float64(b.N), "notifies/op")
		})
	}
}
