package domains

import (
	"errors"
	"testing"
)

func TestStateMachine(t *testing.T) {
	states := []State{Paused, Running, Shutdown, Crashed, Dead}
	events := []Event{EvUnpause, EvPause, EvShutdown, EvCrash, EvDestroy}
	legal := map[[2]int]State{
		{int(Paused), int(EvUnpause)}:   Running,
		{int(Running), int(EvPause)}:    Paused,
		{int(Running), int(EvShutdown)}: Shutdown,
		{int(Paused), int(EvShutdown)}:  Shutdown,
		{int(Running), int(EvCrash)}:    Crashed,
		{int(Paused), int(EvCrash)}:     Crashed,
		{int(Paused), int(EvDestroy)}:   Dead,
		{int(Running), int(EvDestroy)}:  Dead,
		{int(Shutdown), int(EvDestroy)}: Dead,
		{int(Crashed), int(EvDestroy)}:  Dead,
	}
	for _, s := range states {
		for _, e := range events {
			got, err := next(s, e)
			want, ok := legal[[2]int{int(s), int(e)}]
			if ok {
				if err != nil || got != want {
					t.Errorf("%s + %s = %s, %v; want %s", s, e, got, err, want)
				}
				continue
			}
			if !errors.Is(err, ErrIllegalTransition) || got != s {
				t.Errorf("%s + %s = %s, %v; want ErrIllegalTransition and no change", s, e, got, err)
			}
		}
	}
}
