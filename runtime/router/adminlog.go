// The log of the activations that the HTTP admin endpoints make.

package router

import (
	"bytes"
	"encoding/json"
	"net/http"
)

// localActivations are the admin endpoints that activate a kept version
// on this router alone, and the line each logs when it does.
var localActivations = map[string]string{
	"/v2/policies/rollback": "local rollback over HTTP: the previous version active on this router only, the bundle bucket unchanged",
	"/v2/policies/activate": "local activation over HTTP: a kept version active on this router only, the bundle bucket unchanged",
}

// localActivationsLogged is h, which logs each rollback and each
// activation of a kept version that it answers 200 (localActivations),
// with the version and source it answers and the client's address. The
// engine's line, "policy version active", names the version's source (a
// bucket revision, say) as a push's does: it did not say that this
// router alone went back, nor who asked.
func (r *Router) localActivationsLogged(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		msg, ok := localActivations[req.URL.Path]
		if !ok || req.Method != http.MethodPost {
			h.ServeHTTP(w, req)
			return
		}
		kept := &answerKept{ResponseWriter: w}
		h.ServeHTTP(kept, req)
		var a struct {
			OK      bool   `json:"ok"`
			Version string `json:"version"`
			Source  string `json:"source"`
		}
		if kept.status != http.StatusOK || json.Unmarshal(kept.body.Bytes(), &a) != nil || !a.OK {
			return
		}
		r.log.Info(msg, "version", a.Version[:min(len(a.Version), 12)], "source", a.Source, "remote", req.RemoteAddr)
	})
}

// answerKept is a ResponseWriter that keeps a copy of the answer's status
// and body (an admin answer: a few hundred bytes).
type answerKept struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
}

func (a *answerKept) WriteHeader(status int) {
	if a.status == 0 {
		a.status = status
	}
	a.ResponseWriter.WriteHeader(status)
}

func (a *answerKept) Write(p []byte) (int, error) {
	if a.status == 0 {
		a.status = http.StatusOK
	}
	a.body.Write(p)
	return a.ResponseWriter.Write(p)
}

// Unwrap is the ResponseWriter kept from (http.ResponseController).
func (a *answerKept) Unwrap() http.ResponseWriter { return a.ResponseWriter }
