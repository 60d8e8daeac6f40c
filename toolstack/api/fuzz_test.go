package api

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzDecodeRequests sends arbitrary bodies to every POST route: the
// handler must never panic, and whatever it refuses is a 400 (the fake
// lifecycle accepts every well-formed request for domain vm1).
func FuzzDecodeRequests(f *testing.F) {
	for _, s := range []string{
		`{"config": "name = \"x\"", "file": "/a.cfg", "overrides": ["memory=64"], "paused": true}`,
		`{"wait": true, "timeout_s": 1.5}`, `{"name": "web"}`, `{}`, ``, `null`, `[]`, `{"config": 1}`,
		`{"config": "\u0000"}`, `{"timeout_s": 1e400}`, `{"name": "a"} x`, `{"overrides": [1]}`,
	} {
		for route := range 6 {
			f.Add(uint8(route), s)
		}
	}
	paths := []string{"/v1/domains", "/v1/domains/vm1/shutdown", "/v1/domains/vm1/reboot", "/v1/domains/vm1/pause", "/v1/domains/vm2/unpause", "/v1/domains/vm1/rename"}
	f.Fuzz(func(t *testing.T, route uint8, body string) {
		h := NewHandler(&fakeLifecycle{}, nil)
		path := paths[int(route)%len(paths)]
		r := httptest.NewRequest("POST", path, strings.NewReader(body))
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		switch w.Code {
		case http.StatusOK, http.StatusCreated, http.StatusNoContent, http.StatusBadRequest:
		case http.StatusConflict:
			if !strings.HasSuffix(path, "/rename") {
				t.Errorf("POST %s %q: 409 %s", path, body, w.Body)
			}
		default:
			t.Errorf("POST %s %q: status %d %s", path, body, w.Code, w.Body)
		}
	})
}
