package api

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// do sends one request to the handler and decodes the error body, if any.
func do(t *testing.T, f *fakeLifecycle, method, path, body string) (*httptest.ResponseRecorder, Error) {
	t.Helper()
	var r *http.Request
	if body == "" {
		r = httptest.NewRequest(method, path, nil)
	} else {
		r = httptest.NewRequest(method, path, strings.NewReader(body))
	}
	w := httptest.NewRecorder()
	NewHandler(f, nil).ServeHTTP(w, r)
	var e Error
	if w.Code/100 != 2 {
		if ct := w.Header().Get("Content-Type"); ct != "application/json" {
			t.Errorf("%s %s: error with Content-Type %q, want application/json", method, path, ct)
		}
		if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil || e.Message == "" {
			t.Errorf("%s %s: error body %q is not {\"error\": ...}", method, path, w.Body.String())
		}
	}
	return w, e
}

func TestRoutesStatusCodes(t *testing.T) {
	tests := []struct {
		method, path, body string
		status             int
		call               string
	}{
		{"POST", "/v1/domains", `{"config": "name = \"x\"", "file": "/a/x.cfg", "overrides": ["memory=64"], "paused": true}`, 201, "create"},
		{"GET", "/v1/domains", "", 200, "list"},
		{"GET", "/v1/domains/vm1", "", 200, "get vm1"},
		{"GET", "/v1/domains/1", "", 200, "get 1"},
		{"DELETE", "/v1/domains/vm1", "", 204, "destroy vm1"},
		{"POST", "/v1/domains/vm1/shutdown", "", 200, "poweroff vm1"},
		{"POST", "/v1/domains/vm1/shutdown", `{"wait": true, "timeout_s": 5}`, 200, "poweroff vm1"},
		{"POST", "/v1/domains/vm1/reboot", `{}`, 200, "reboot vm1"},
		{"POST", "/v1/domains/vm1/pause", "", 204, "pause vm1"},
		{"POST", "/v1/domains/vm2/unpause", "{}", 204, "unpause vm2"},
		{"POST", "/v1/domains/vm1/rename", `{"name": "web"}`, 204, "rename vm1"},
		{"GET", "/v1/domains/vm2/vcpus", "", 200, "vcpus vm2"},
		{"POST", "/v1/domains/vm2/disks", `{"spec": "/i.img,raw,xvdb,rw"}`, 201, "attach-disk vm2"},
		{"GET", "/v1/domains/vm2/disks", "", 200, "disks vm2"},
		{"DELETE", "/v1/domains/vm2/disks/xvdb", "", 200, "detach-disk vm2 xvdb"},
		{"GET", "/v1/info", "", 200, "info"},
		{"GET", "/v1/dmesg", "", 200, "dmesg"},
	}
	for _, tt := range tests {
		f := &fakeLifecycle{}
		w, e := do(t, f, tt.method, tt.path, tt.body)
		if w.Code != tt.status {
			t.Errorf("%s %s: status %d (%s), want %d", tt.method, tt.path, w.Code, e.Message, tt.status)
			continue
		}
		if len(f.calls) != 1 || f.calls[0] != tt.call {
			t.Errorf("%s %s: calls %q, want [%q]", tt.method, tt.path, f.calls, tt.call)
		}
	}
}

func TestNotFoundNamesTheDomain(t *testing.T) {
	for _, r := range []struct{ method, path string }{
		{"GET", "/v1/domains/foo"}, {"DELETE", "/v1/domains/foo"}, {"POST", "/v1/domains/foo/pause"},
		{"POST", "/v1/domains/foo/shutdown"}, {"GET", "/v1/domains/foo/vcpus"},
	} {
		w, e := do(t, &fakeLifecycle{}, r.method, r.path, "")
		if w.Code != 404 || e.Message != `domain "foo" not found` {
			t.Errorf("%s %s: %d %q, want 404 domain \"foo\" not found", r.method, r.path, w.Code, e.Message)
		}
	}
}

func TestConflicts(t *testing.T) {
	if w, e := do(t, &fakeLifecycle{}, "POST", "/v1/domains/vm2/pause", ""); w.Code != 409 {
		t.Errorf("pause of a paused domain: %d %q, want 409", w.Code, e.Message)
	}
	if w, e := do(t, &fakeLifecycle{}, "POST", "/v1/domains/vm1/unpause", ""); w.Code != 409 {
		t.Errorf("unpause of a running domain: %d %q, want 409", w.Code, e.Message)
	}
	if w, e := do(t, &fakeLifecycle{}, "POST", "/v1/domains/vm1/rename", `{"name":"vm2"}`); w.Code != 409 {
		t.Errorf("rename onto a taken name: %d %q, want 409", w.Code, e.Message)
	}
}

func TestErrorMapping(t *testing.T) {
	for _, tt := range []struct {
		err    error
		status int
	}{
		{ErrNotFound, 404}, {ErrConflict, 409}, {ErrBadRequest, 400}, {ErrTimeout, 504},
		{os.ErrPermission, 500}, {&Error{Message: "no status"}, 500}, {BadRequest("config", "x.cfg:3: bad"), 400},
	} {
		w, e := do(t, &fakeLifecycle{err: tt.err}, "GET", "/v1/domains", "")
		if w.Code != tt.status || e.Message == "" {
			t.Errorf("%v: %d %q, want %d", tt.err, w.Code, e.Message, tt.status)
		}
	}
	_, e := do(t, &fakeLifecycle{err: BadRequest("config", "x.cfg:3: unknown key")}, "POST", "/v1/domains", `{"config":"a=1"}`)
	if e.Field != "config" || e.Message != "x.cfg:3: unknown key" {
		t.Errorf("config error: %+v", e)
	}
}

func TestStrictDecoding(t *testing.T) {
	tests := []struct {
		path, body, field, msg string
	}{
		{"/v1/domains", `{"config": "x", "bogus": 1}`, "bogus", "unknown field"},
		{"/v1/domains", `{"config": "x"} {}`, "", "after the JSON object"},
		{"/v1/domains", `{"config": "x"`, "", "truncated"},
		{"/v1/domains", `{"config": 5}`, "config", "want string"},
		{"/v1/domains", `[]`, "", "JSON object"},
		{"/v1/domains", ``, "", "empty request body"},
		{"/v1/domains", `{"config": ""}`, "config", "config is empty"},
		{"/v1/domains", `{"config": "x", "overrides": [""]}`, "overrides", "empty"},
		{"/v1/domains", `{"config": "x", "paused": "yes"}`, "paused", "want bool"},
		{"/v1/domains/vm1/shutdown", `{"wait": true, "force": true}`, "force", "unknown field"},
		{"/v1/domains/vm1/shutdown", `{"timeout_s": -1}`, "timeout_s", "between"},
		{"/v1/domains/vm1/pause", `{"x": 1}`, "x", "unknown field"},
		{"/v1/domains/vm1/rename", `{}`, "name", "name is empty"},
		{"/v1/domains/vm1/rename", `{"name": "a", "name2": "b"}`, "name2", "unknown field"},
		{"/v1/domains/vm1/rename", `nope`, "", "not valid JSON"},
	}
	for _, tt := range tests {
		f := &fakeLifecycle{}
		w, e := do(t, f, "POST", tt.path, tt.body)
		if w.Code != 400 || e.Field != tt.field || !strings.Contains(e.Message, tt.msg) {
			t.Errorf("POST %s %q: %d %+v, want 400 field %q message with %q", tt.path, tt.body, w.Code, e, tt.field, tt.msg)
		}
		if len(f.calls) != 0 {
			t.Errorf("POST %s %q reached the lifecycle: %q", tt.path, tt.body, f.calls)
		}
	}
}

func TestBodySizeLimits(t *testing.T) {
	big := `{"config": "` + strings.Repeat("#", MaxConfigBytes+1) + `"}`
	if w, e := do(t, &fakeLifecycle{}, "POST", "/v1/domains", big); w.Code != 400 || e.Field != "config" {
		t.Errorf("config over the limit: %d %+v", w.Code, e)
	}
	huge := `{"config": "` + strings.Repeat("#", MaxCreateBodyBytes) + `"}`
	if w, e := do(t, &fakeLifecycle{}, "POST", "/v1/domains", huge); w.Code != 400 || !strings.Contains(e.Message, "limit") {
		t.Errorf("body over the limit: %d %+v", w.Code, e)
	}
	long := `{"name": "` + strings.Repeat("a", MaxBodyBytes) + `"}`
	if w, _ := do(t, &fakeLifecycle{}, "POST", "/v1/domains/vm1/rename", long); w.Code != 400 {
		t.Errorf("rename body over the limit: %d", w.Code)
	}
}

func TestUnknownRouteMethodAndQuery(t *testing.T) {
	if w, e := do(t, &fakeLifecycle{}, "GET", "/v1/nope", ""); w.Code != 404 || !strings.Contains(e.Message, "no route") {
		t.Errorf("unknown route: %d %q", w.Code, e.Message)
	}
	w, e := do(t, &fakeLifecycle{}, "PUT", "/v1/domains/vm1", "")
	if w.Code != 405 || w.Header().Get("Allow") != "DELETE, GET" {
		t.Errorf("PUT on a domain: %d %q Allow %q", w.Code, e.Message, w.Header().Get("Allow"))
	}
	if w, e := do(t, &fakeLifecycle{}, "GET", "/v1/domains?all=1", ""); w.Code != 400 || e.Field != "all" {
		t.Errorf("unknown query parameter: %d %+v", w.Code, e)
	}
}

func TestCreatePassesTheRequest(t *testing.T) {
	f := &fakeLifecycle{}
	w, _ := do(t, f, "POST", "/v1/domains", `{"config": "name = \"x\"\n", "file": "/a/x.cfg", "overrides": ["memory=64", "name=\"y\""], "paused": true}`)
	if w.Code != 201 || w.Header().Get("Location") != "/v1/domains/7" {
		t.Fatalf("create: %d, Location %q", w.Code, w.Header().Get("Location"))
	}
	want := CreateRequest{Config: "name = \"x\"\n", File: "/a/x.cfg", Overrides: []string{"memory=64", `name="y"`}, Paused: true}
	if got := f.creates[0]; got.Config != want.Config || got.File != want.File || strings.Join(got.Overrides, "|") != strings.Join(want.Overrides, "|") || !got.Paused {
		t.Errorf("create got %+v, want %+v", got, want)
	}
	var resp CreateResponse
	json.Unmarshal(w.Body.Bytes(), &resp)
	if resp.DomID != 7 || resp.Name != "new" {
		t.Errorf("create answered %+v", resp)
	}
}

// TestDocsListEveryRoute keeps docs/api.md in step with the route table.
func TestDocsListEveryRoute(t *testing.T) {
	_, file, _, _ := runtime.Caller(0)
	doc, err := os.ReadFile(filepath.Join(filepath.Dir(file), "..", "..", "docs", "api.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, rt := range routes {
		if entry := rt.method + " " + rt.path; !strings.Contains(string(doc), entry) {
			t.Errorf("docs/api.md does not document %s", entry)
		}
	}
}
