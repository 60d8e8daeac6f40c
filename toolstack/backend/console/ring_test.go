package console

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/xenolith/xenolith/hypercall"
	"github.com/xenolith/xenolith/toolstack/internal/sharedpage"
)

// TestRingOffsets checks the page offsets ring.go uses against the ABI
// mirror (whose layout hypercall's gcc test checks against io/console.h).
func TestRingOffsets(t *testing.T) {
	v := hypercall.XenconsInterface{InCons: 1, InProd: 2, OutCons: 3, OutProd: 4}
	v.In[0], v.Out[0] = 0xaa, 0xbb
	b := make([]byte, hypercall.SizeOf[hypercall.XenconsInterface]())
	if err := hypercall.Encode(b, &v); err != nil {
		t.Fatal(err)
	}
	if b[offIn] != 0xaa || b[offOut] != 0xbb {
		t.Error("in/out offsets")
	}
	for off, want := range map[int]uint32{offInCons: 1, offInProd: 2, offOutCons: 3, offOutProd: 4} {
		if got := binary.LittleEndian.Uint32(b[off:]); got != want {
			t.Errorf("offset %d holds field %d, want %d", off, got, want)
		}
	}
	if len(b) != 3088 || len(b) > pageSize {
		t.Fatalf("xencons_interface is %d bytes, want 3088", len(b))
	}
}

func TestNewRingChecks(t *testing.T) {
	if _, err := newRing(make([]byte, 3088)); !errors.Is(err, ErrBadRing) {
		t.Errorf("short page: %v", err)
	}
	if _, err := newRing(make([]byte, pageSize+1)[1:]); !errors.Is(err, ErrBadRing) {
		t.Errorf("misaligned page: %v", err)
	}
}

// TestRingWrap moves both rings through many wraps and through the u32
// index overflow, in random piece sizes, against a byte-for-byte model.
func TestRingWrap(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 2))
	page := make([]byte, pageSize)
	start := uint32(0xffffffff - 5000)
	for _, off := range []int{offOutCons, offOutProd, offInCons, offInProd} {
		sharedpage.Store32(page, off, start)
	}
	r, err := newRing(page)
	if err != nil {
		t.Fatal(err)
	}
	g := &fakeGuest{r: &fakeRing{page: page, kicks: make(chan struct{}, 1), notes: make(chan struct{}, 1)}, outProd: start, inCons: start}
	var sentOut, gotOut, sentIn, gotIn []byte
	var buf [outSize]byte
	for range 2000 {
		p := make([]byte, rnd.IntN(outSize+1))
		for i := range p {
			p[i] = byte(rnd.Uint32())
		}
		n := g.produce(p, func() int { return len(p) + 1 }, timeZero)
		sentOut = append(sentOut, p[:n]...)
		m, err := r.readOut(&buf)
		if err != nil {
			t.Fatal(err)
		}
		gotOut = append(gotOut, buf[:m]...)

		q := p[:rnd.IntN(len(p)+1)]
		w, err := r.writeIn(q)
		if err != nil {
			t.Fatal(err)
		}
		sentIn = append(sentIn, q[:w]...)
		gotIn = append(gotIn, g.consume(rnd.IntN(inSize+1))...)
	}
	gotIn = append(gotIn, g.consume(inSize)...)
	if !bytes.Equal(sentOut, gotOut) || len(gotOut) < 100000 {
		t.Fatalf("out: sent %d bytes, got %d, equal %v", len(sentOut), len(gotOut), bytes.Equal(sentOut, gotOut))
	}
	if !bytes.Equal(sentIn, gotIn) || len(gotIn) < 100000 {
		t.Fatalf("in: sent %d bytes, got %d, equal %v", len(sentIn), len(gotIn), bytes.Equal(sentIn, gotIn))
	}
	if sharedpage.Load32(page, offOutProd) > start {
		t.Fatal("indexes did not wrap through 2^32")
	}
}

// TestRingBadIndexes: each guest index outside the protocol is
// ErrRingIndex, before any byte moves.
func TestRingBadIndexes(t *testing.T) {
	var buf [outSize]byte
	for _, c := range []struct {
		name       string
		cons, prod uint32
	}{
		{"prod one past a full ring", 100, 100 + outSize + 1},
		{"prod behind cons", 100, 99},
		{"prod at max", 0, 0xffffffff},
	} {
		page := make([]byte, pageSize)
		sharedpage.Store32(page, offOutCons, c.cons)
		sharedpage.Store32(page, offOutProd, c.prod)
		r, _ := newRing(page)
		if n, err := r.readOut(&buf); !errors.Is(err, ErrRingIndex) || n != 0 || sharedpage.Load32(page, offOutCons) != c.cons {
			t.Errorf("out %s: n %d err %v", c.name, n, err)
		}
	}
	for _, c := range []struct {
		name             string
		seen, prod, cons uint32
	}{
		{"cons past prod", 10, 10, 11},
		{"cons behind last seen", 10, 20, 9},
		{"cons a full ring behind", 5000, 5000, 5000 - inSize - 1},
		{"stale: prod far past cons at connect", 0, 4096, 0},
	} {
		page := make([]byte, pageSize)
		sharedpage.Store32(page, offInCons, c.seen)
		sharedpage.Store32(page, offInProd, c.prod)
		r, _ := newRing(page)
		sharedpage.Store32(page, offInCons, c.cons)
		if n, err := r.writeIn([]byte("x")); !errors.Is(err, ErrRingIndex) || n != 0 || sharedpage.Load32(page, offInProd) != c.prod {
			t.Errorf("in %s: n %d err %v", c.name, n, err)
		}
	}
}

func TestHistory(t *testing.T) {
	rnd := rand.New(rand.NewPCG(3, 4))
	for _, max := range []int{1, 7, 100, 4096} {
		h := historyBuf{max: max}
		var all []byte
		for range 300 {
			p := make([]byte, rnd.IntN(2*max+2))
			for i := range p {
				p[i] = byte(rnd.Uint32())
			}
			h.write(p)
			all = append(all, p...)
			want := all[len(all)-min(len(all), max):]
			if got := h.bytes(); !bytes.Equal(got, want) {
				t.Fatalf("max %d after %d bytes: history %d bytes, want the last %d", max, len(all), len(got), len(want))
			}
		}
	}
}

// timeZero is a deadline already past: produce writes what fits, once.
var timeZero time.Time
