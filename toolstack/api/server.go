package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sort"
	"strings"
)

// Body size limits, in bytes. A config may be MaxConfigBytes of xl.cfg,
// which JSON escaping can grow up to six times (\u00XX).
const (
	MaxConfigBytes     = 1 << 20 // as xlcfg.MaxFileSize
	MaxCreateBodyBytes = 6*MaxConfigBytes + 64<<10
	MaxBodyBytes       = 64 << 10 // every other route
	// MaxOverrides bounds CreateRequest.Overrides.
	MaxOverrides = 256
)

// route is one entry of the route table: method and path (a
// http.ServeMux pattern with {ref} for a domid or name), the query
// parameters it takes, the domain states it allows (for docs/api.md), and
// its handler.
type route struct {
	method, path string
	query        []string
	states       string
	handle       func(s *server, w http.ResponseWriter, r *http.Request) error
}

// routes is the API, version prefix /v1. docs/api.md describes each.
var routes = []route{
	{"POST", "/v1/domains", nil, "-", (*server).create},
	{"GET", "/v1/domains", nil, "-", (*server).list},
	{"GET", "/v1/domains/{ref}", nil, "any", (*server).get},
	{"DELETE", "/v1/domains/{ref}", nil, "running paused shutdown crashed", (*server).destroy},
	{"POST", "/v1/domains/{ref}/shutdown", nil, "running paused", (*server).shutdown},
	{"POST", "/v1/domains/{ref}/reboot", nil, "running paused", (*server).reboot},
	{"POST", "/v1/domains/{ref}/pause", nil, "running", (*server).pause},
	{"POST", "/v1/domains/{ref}/unpause", nil, "paused", (*server).unpause},
	{"POST", "/v1/domains/{ref}/rename", nil, "running paused shutdown crashed", (*server).rename},
	{"GET", "/v1/domains/{ref}/vcpus", nil, "running paused shutdown crashed", (*server).vcpus},
	{"GET", "/v1/domains/{ref}/console", []string{"write"}, "running paused shutdown crashed", (*server).console},
	{"POST", "/v1/domains/{ref}/disks", nil, "running paused", (*server).attachDisk},
	{"GET", "/v1/domains/{ref}/disks", nil, "running paused shutdown crashed", (*server).disks},
	{"DELETE", "/v1/domains/{ref}/disks/{vdev}", nil, "running paused shutdown crashed", (*server).detachDisk},
	{"GET", "/v1/info", nil, "-", (*server).info},
	{"GET", "/v1/dmesg", nil, "-", (*server).dmesg},
}

// server serves the routes over a Lifecycle.
type server struct {
	lc  Lifecycle
	log *slog.Logger
}

// NewHandler returns the API's HTTP handler over lc. Unknown paths are
// JSON 404s, known paths with another method JSON 405s.
func NewHandler(lc Lifecycle, log *slog.Logger) http.Handler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &server{lc: lc, log: log}
	mux := http.NewServeMux()
	byPath := map[string]map[string]route{}
	var paths []string
	for _, rt := range routes {
		if byPath[rt.path] == nil {
			byPath[rt.path] = map[string]route{}
			paths = append(paths, rt.path)
		}
		byPath[rt.path][rt.method] = rt
	}
	for _, p := range paths {
		methods := byPath[p]
		mux.HandleFunc(p, func(w http.ResponseWriter, r *http.Request) {
			rt, ok := methods[r.Method]
			if !ok {
				var allow []string
				for m := range methods {
					allow = append(allow, m)
				}
				sort.Strings(allow)
				w.Header().Set("Allow", strings.Join(allow, ", "))
				s.fail(w, r, &Error{Status: http.StatusMethodNotAllowed,
					Message: fmt.Sprintf("%s %s: method not allowed (allowed: %s)", r.Method, p, strings.Join(allow, ", "))})
				return
			}
			if err := checkQuery(r, rt.query); err != nil {
				s.fail(w, r, err)
				return
			}
			if err := rt.handle(s, w, r); err != nil {
				s.fail(w, r, err)
			}
		})
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.fail(w, r, &Error{Status: http.StatusNotFound, Message: fmt.Sprintf("no route %s %s (see docs/api.md)", r.Method, r.URL.Path)})
	})
	return mux
}

// checkQuery refuses query parameters a route does not take.
func checkQuery(r *http.Request, allowed []string) error {
	for k := range r.URL.Query() {
		ok := false
		for _, a := range allowed {
			ok = ok || k == a
		}
		if !ok {
			return BadRequest(k, "unknown query parameter %q", truncate(k))
		}
	}
	return nil
}

func (s *server) fail(w http.ResponseWriter, r *http.Request, err error) {
	e := toError(err)
	if e.Status >= 500 && e.Status != http.StatusGatewayTimeout {
		s.log.Error("api: request failed", "method", r.Method, "path", r.URL.Path, "err", e.Message)
	} else {
		s.log.Debug("api: request refused", "method", r.Method, "path", r.URL.Path, "status", e.Status, "err", e.Message)
	}
	writeJSON(w, e.Status, e)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b, _ = json.Marshal(&Error{Message: "api: encoding the response: " + err.Error()})
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}

// decodeBody reads r's body strictly into v: at most limit bytes, one
// JSON value, no unknown fields, nothing after it. An empty body is the
// zero value when optional, else an error. Every error is a 400.
func decodeBody(r *http.Request, limit int64, v any, optional bool) error {
	b, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	if err != nil {
		return BadRequest("", "reading the request body: %v", err)
	}
	return decodeBytes(b, limit, v, optional)
}

func decodeBytes(b []byte, limit int64, v any, optional bool) error {
	if int64(len(b)) > limit {
		return BadRequest("", "request body is over the %d byte limit", limit)
	}
	if len(bytes.TrimSpace(b)) == 0 {
		if optional {
			return nil
		}
		return BadRequest("", "empty request body: send a JSON object (see docs/api.md)")
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return BadRequest("", "request body has data after the JSON object")
	}
	return nil
}

// jsonError turns a decoding error into a 400 naming the field.
func jsonError(err error) *Error {
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &te):
		if te.Field == "" {
			return BadRequest("", "request body must be a JSON object, not %s", te.Value)
		}
		return BadRequest(te.Field, "field %q: want %s, got %s", te.Field, te.Type, te.Value)
	case errors.As(err, &se):
		return BadRequest("", "request body is not valid JSON: %v (at byte %d)", se, se.Offset)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		f := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return BadRequest(f, "unknown field %q (see docs/api.md)", truncate(f))
	case errors.Is(err, io.ErrUnexpectedEOF):
		return BadRequest("", "request body is truncated JSON")
	}
	return BadRequest("", "request body: %v", err)
}

func truncate(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}

// ref returns the {ref} path value: a domid or name.
func ref(r *http.Request) (string, error) {
	v := r.PathValue("ref")
	if v == "" {
		return "", BadRequest("ref", "empty domain id or name")
	}
	return v, nil
}

// emptyBody accepts no body, {} or null.
func emptyBody(r *http.Request) error {
	var v struct{}
	return decodeBody(r, MaxBodyBytes, &v, true)
}

func (s *server) create(w http.ResponseWriter, r *http.Request) error {
	var req CreateRequest
	if err := decodeBody(r, MaxCreateBodyBytes, &req, false); err != nil {
		return err
	}
	if err := checkCreate(&req); err != nil {
		return err
	}
	resp, err := s.lc.Create(r.Context(), req)
	if err != nil {
		return err
	}
	w.Header().Set("Location", fmt.Sprintf("/v1/domains/%d", resp.DomID))
	writeJSON(w, http.StatusCreated, resp)
	return nil
}

// checkCreate checks what can be checked without the config's meaning.
func checkCreate(req *CreateRequest) error {
	switch {
	case strings.TrimSpace(req.Config) == "":
		return BadRequest("config", "config is empty: send the xl.cfg text")
	case len(req.Config) > MaxConfigBytes:
		return BadRequest("config", "config is %d bytes, more than the %d byte limit", len(req.Config), MaxConfigBytes)
	case len(req.Overrides) > MaxOverrides:
		return BadRequest("overrides", "%d overrides, more than %d", len(req.Overrides), MaxOverrides)
	case strings.ContainsRune(req.File, 0):
		return BadRequest("file", "file contains a NUL byte")
	}
	for i, o := range req.Overrides {
		if strings.TrimSpace(o) == "" {
			return BadRequest("overrides", "override %d is empty: write KEY=VALUE", i)
		}
	}
	return nil
}

func (s *server) list(w http.ResponseWriter, r *http.Request) error {
	l, err := s.lc.List(r.Context())
	if err != nil {
		return err
	}
	if l == nil {
		l = []DomainInfo{}
	}
	writeJSON(w, http.StatusOK, l)
	return nil
}

func (s *server) get(w http.ResponseWriter, r *http.Request) error {
	id, err := ref(r)
	if err != nil {
		return err
	}
	d, err := s.lc.Get(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, d)
	return nil
}

func (s *server) destroy(w http.ResponseWriter, r *http.Request) error {
	id, err := ref(r)
	if err != nil {
		return err
	}
	if err := emptyBody(r); err != nil {
		return err
	}
	if err := s.lc.Destroy(r.Context(), id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *server) shutdown(w http.ResponseWriter, r *http.Request) error {
	return s.shutdownReason(w, r, ReasonPoweroff)
}

func (s *server) reboot(w http.ResponseWriter, r *http.Request) error {
	return s.shutdownReason(w, r, ReasonReboot)
}

func (s *server) shutdownReason(w http.ResponseWriter, r *http.Request, reason string) error {
	id, err := ref(r)
	if err != nil {
		return err
	}
	var req ShutdownRequest
	if err := decodeBody(r, MaxBodyBytes, &req, true); err != nil {
		return err
	}
	// The upper bound keeps time.Duration from overflowing.
	if req.TimeoutS < 0 || req.TimeoutS > 86400 || req.TimeoutS != req.TimeoutS {
		return BadRequest("timeout_s", "timeout_s must be between 0 and 86400 seconds")
	}
	res, err := s.lc.Shutdown(r.Context(), id, reason, req)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

func (s *server) pause(w http.ResponseWriter, r *http.Request) error {
	return s.simple(w, r, s.lc.Pause)
}

func (s *server) unpause(w http.ResponseWriter, r *http.Request) error {
	return s.simple(w, r, s.lc.Unpause)
}

func (s *server) simple(w http.ResponseWriter, r *http.Request, op func(context.Context, string) error) error {
	id, err := ref(r)
	if err != nil {
		return err
	}
	if err := emptyBody(r); err != nil {
		return err
	}
	if err := op(r.Context(), id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *server) rename(w http.ResponseWriter, r *http.Request) error {
	id, err := ref(r)
	if err != nil {
		return err
	}
	var req RenameRequest
	if err := decodeBody(r, MaxBodyBytes, &req, false); err != nil {
		return err
	}
	if req.Name == "" {
		return BadRequest("name", "name is empty: send {\"name\": \"NEW\"}")
	}
	if err := s.lc.Rename(r.Context(), id, req.Name); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *server) vcpus(w http.ResponseWriter, r *http.Request) error {
	id, err := ref(r)
	if err != nil {
		return err
	}
	l, err := s.lc.VCPUs(r.Context(), id)
	if err != nil {
		return err
	}
	if l.VCPUs == nil {
		l.VCPUs = []VCPUInfo{}
	}
	writeJSON(w, http.StatusOK, l)
	return nil
}

func (s *server) info(w http.ResponseWriter, r *http.Request) error {
	i, err := s.lc.Info(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, i)
	return nil
}

func (s *server) dmesg(w http.ResponseWriter, r *http.Request) error {
	d, err := s.lc.Dmesg(r.Context())
	if err != nil {
		return err
	}
	if d.Lines == nil {
		d.Lines = []string{}
	}
	writeJSON(w, http.StatusOK, d)
	return nil
}

func (s *server) attachDisk(w http.ResponseWriter, r *http.Request) error {
	id, err := ref(r)
	if err != nil {
		return err
	}
	var req DiskAttachRequest
	if err := decodeBody(r, MaxBodyBytes, &req, false); err != nil {
		return err
	}
	if strings.TrimSpace(req.Spec) == "" {
		return BadRequest("spec", "spec is empty: send {\"spec\": \"/path/to/disk.img,raw,xvdb,rw\"}")
	}
	info, err := s.lc.AttachDisk(r.Context(), id, req)
	if err != nil {
		return err
	}
	w.Header().Set("Location", fmt.Sprintf("/v1/domains/%s/disks/%s", id, info.VDev))
	writeJSON(w, http.StatusCreated, info)
	return nil
}

func (s *server) disks(w http.ResponseWriter, r *http.Request) error {
	id, err := ref(r)
	if err != nil {
		return err
	}
	l, err := s.lc.Disks(r.Context(), id)
	if err != nil {
		return err
	}
	if l == nil {
		l = []DiskInfo{}
	}
	writeJSON(w, http.StatusOK, l)
	return nil
}

func (s *server) detachDisk(w http.ResponseWriter, r *http.Request) error {
	id, err := ref(r)
	if err != nil {
		return err
	}
	if err := emptyBody(r); err != nil {
		return err
	}
	vdev := r.PathValue("vdev")
	if vdev == "" {
		return BadRequest("vdev", "empty vdev: give a disk name (xvdb) or its devid (51728)")
	}
	res, err := s.lc.DetachDisk(r.Context(), id, vdev)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}
