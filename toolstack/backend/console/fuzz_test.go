package console

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/xenolith/xenolith/toolstack/internal/sharedpage"
)

// FuzzConsoleRing runs the back end against a guest that sets the page
// contents and every index to arbitrary values. page is the initial ring
// page; ops is a list of 5-byte records (op, u32 value). The serving
// steps run synchronously against a model of the protocol; then the real
// serving loop runs and Close must return promptly. Properties: no panic,
// no hang; a bad guest index stops the back end exactly when the model
// says the index is out of range; otherwise the reader receives exactly
// the bytes between out_cons and each out_prod, and the guest sees
// exactly the bytes written into in[].
func FuzzConsoleRing(f *testing.F) {
	rec := func(op byte, v uint32) []byte { return binary.LittleEndian.AppendUint32([]byte{op}, v) }
	f.Add([]byte{}, []byte{})
	f.Add([]byte("hello"), bytes.Join([][]byte{rec(0, 5), rec(0, 5), rec(1, 0), rec(0, 2048+5)}, nil))
	f.Add(make([]byte, 4096), bytes.Join([][]byte{rec(0, 2049)}, nil))
	f.Add(make([]byte, 4096), bytes.Join([][]byte{rec(0, 100), rec(0, 50)}, nil))
	f.Add(make([]byte, 4096), bytes.Join([][]byte{rec(1, 1000), rec(1, 0), rec(1, 500), rec(1, 400)}, nil))
	f.Add(make([]byte, 4096), bytes.Join([][]byte{rec(2, 3084<<8|0xff), rec(3, 7), rec(0, 0xffffffff)}, nil))
	stale := make([]byte, 4096)
	binary.LittleEndian.PutUint32(stale[offOutCons:], 0xfffffff0)
	binary.LittleEndian.PutUint32(stale[offOutProd:], 0x10)
	binary.LittleEndian.PutUint32(stale[offInProd:], 0xfffffe00)
	binary.LittleEndian.PutUint32(stale[offInCons:], 0xfffffd00)
	f.Add(stale, bytes.Join([][]byte{rec(1, 0xfffffe00), rec(0, 0x20), rec(1, 0xfffffff0), rec(0, 0x820)}, nil))

	f.Fuzz(func(t *testing.T, page, ops []byte) {
		fr := newFakeRing()
		copy(fr.page, page)
		b, err := newBackend(Config{Domid: 9, Ring: fr, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), HistoryBytes: 1 << 12})
		if err != nil {
			t.Fatal(err)
		}
		_, out, cancel := b.Subscribe()
		defer cancel()
		got := collect(out, -1)

		// The model: the back end's own indexes and the last in_cons seen.
		outCons := sharedpage.Load32(fr.page, offOutCons)
		inProd := sharedpage.Load32(fr.page, offInProd)
		inSeen := sharedpage.Load32(fr.page, offInCons)
		var want []byte
		stopped := false
		payload := bytes.Repeat([]byte("0123456789abcdef"), 100)

		for i := 0; i+5 <= len(ops) && i < 5*256 && !stopped; i += 5 {
			v := binary.LittleEndian.Uint32(ops[i+1:])
			switch ops[i] % 4 {
			case 0: // the guest publishes out_prod = v and the back end serves
				sharedpage.Store32(fr.page, offOutProd, v)
				var ring []byte
				if v-outCons <= outSize {
					for j := outCons; j != v; j++ {
						ring = append(ring, fr.page[offOut+int(j&outMask)])
					}
				}
				_, err := b.serveOutput()
				if bad := v-outCons > outSize; bad != (err != nil) || err != nil && !errors.Is(err, ErrRingIndex) {
					t.Fatalf("out_prod %d out_cons %d: err %v", v, outCons, err)
				}
				if err != nil {
					b.fail(err)
					stopped = true
					break
				}
				want = append(want, ring...)
				moved := v != outCons
				outCons = v
				if c := sharedpage.Load32(fr.page, offOutCons); moved && c != v {
					t.Fatalf("out_cons %d after serving out_prod %d", c, v)
				}
			case 1: // the guest sets in_cons = v and the back end writes
				sharedpage.Store32(fr.page, offInCons, v)
				p := payload[:int(v>>20)%len(payload)]
				n, err := b.writeSome(p)
				bad := inProd-v > inSize || v-inSeen > inProd-inSeen
				if bad != (err != nil) || err != nil && !errors.Is(err, ErrRingIndex) {
					t.Fatalf("in_cons %d (seen %d) in_prod %d: err %v", v, inSeen, inProd, err)
				}
				if err != nil {
					stopped = true
					break
				}
				if wantN := min(len(p), inSize-int(inProd-v)); n != wantN {
					t.Fatalf("wrote %d bytes, want %d", n, wantN)
				}
				for j := range n {
					if fr.page[offIn+int((inProd+uint32(j))&inMask)] != p[j] {
						t.Fatalf("in[] byte %d differs", j)
					}
				}
				inSeen, inProd = v, inProd+uint32(n)
				if w := sharedpage.Load32(fr.page, offInProd); n > 0 && w != inProd {
					t.Fatalf("in_prod %d, want %d", w, inProd)
				}
			case 2: // the guest scribbles on any byte of the page
				fr.page[int(v>>8)%pageSize] = byte(v)
			case 3: // ... or on the indexes the back end owns, which it must ignore
				if v&1 == 0 {
					sharedpage.Store32(fr.page, offOutCons, v)
				} else {
					sharedpage.Store32(fr.page, offInProd, v)
				}
			}
		}

		// Now the real loop: a pass over the final page (the first one, or
		// Close's final pass, whichever comes first), then Close.
		if !stopped {
			prod := sharedpage.Load32(fr.page, offOutProd)
			if prod-outCons > outSize {
				stopped = true
			} else {
				for j := outCons; j != prod; j++ {
					want = append(want, fr.page[offOut+int(j&outMask)])
				}
			}
		}
		go b.run()
		fr.kick()
		if stopped {
			select {
			case <-b.Done():
			case <-time.After(5 * time.Second):
				t.Fatal("back end did not stop after a bad index")
			}
		}
		if err := closeWithin(b, 5*time.Second); err != nil {
			t.Fatal(err)
		}
		select {
		case g := <-got:
			if !bytes.Equal(g, want) {
				t.Fatalf("reader got %d bytes, want %d", len(g), len(want))
			}
		case <-time.After(5 * time.Second):
			t.Fatal("reader's channel not closed")
		}
		if fr.closes.Load() != 1 {
			t.Fatalf("ring closed %d times", fr.closes.Load())
		}
	})
}
