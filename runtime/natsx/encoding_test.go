package natsx_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/rpl-lang/rpl/runtime/natsx"
)

// TestContentEncodingRefused: a message whose Content-Encoding header
// (its name in any case) names a coding other than identity is refused
// invalid_request naming it, as HTTP refuses it (415), and counted as
// unreadable; its body was read as JSON and refused as malformed, which
// did not say why (or, had it been JSON under a wrong header, decided).
// Fire-and-forget feedback so encoded is not recorded, and is counted
// and logged.
func TestContentEncodingRefused(t *testing.T) {
	_, nc := embedded(t, "")
	e, st := engineState(t, nil)
	var c counted
	var logged syncBuffer
	srv, err := natsx.Serve(nc, e, natsx.Config{Workers: 1, Hooks: c.hooks(), Logger: slog.New(slog.NewTextHandler(&logged, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(`{"request": {"id": "z", "tenant": {"id": "acme"}, "task": {"type": "chat"}}}`))
	zw.Close()
	ask := func(subj string, h nats.Header, body []byte) map[string]any {
		t.Helper()
		msg := &nats.Msg{Subject: subj, Header: h, Data: body}
		resp, err := nc.RequestMsg(msg, 5*time.Second)
		if err != nil {
			t.Fatalf("%s: %v", subj, err)
		}
		var m map[string]any
		if err := json.Unmarshal(resp.Data, &m); err != nil {
			t.Fatalf("%s: reply is not JSON: %s", subj, resp.Data)
		}
		return m
	}
	for _, tc := range []struct {
		h    nats.Header
		want string
	}{
		{nats.Header{"Content-Encoding": {"gzip"}}, "gzip"},
		{nats.Header{"content-encoding": {"GZIP"}}, "GZIP"},
		{nats.Header{"X-Other": {"1"}, "CONTENT-ENCODING": {"identity, br"}}, "br"},
		{nats.Header{"Content-Encoding": {"identity", "s2"}}, "s2"},
	} {
		for _, subj := range natsx.Subjects {
			m := ask(subj, tc.h, gz.Bytes())
			msg, _ := m["error"].(map[string]any)["message"].(string)
			if errCode(m) != "invalid_request" || !strings.Contains(msg, `Content-Encoding "`+tc.want+`" is not supported`) {
				t.Errorf("%s, header %v: %v", subj, tc.h, m)
			}
		}
	}
	c.want(t, "encoded", nil, []string{
		"nats/unreadable", "nats/unreadable", "nats/unreadable", "nats/unreadable",
		"nats/unreadable", "nats/unreadable", "nats/unreadable", "nats/unreadable",
		"nats/unreadable", "nats/unreadable", "nats/unreadable", "nats/unreadable",
		"nats/unreadable", "nats/unreadable", "nats/unreadable", "nats/unreadable",
	})
	// identity, in any case, is the body as sent.
	if m := ask(natsx.SubjectDecide, nats.Header{"Content-Encoding": {"Identity"}}, []byte(`{"request": {"id": "i", "tenant": {"id": "acme"}, "task": {"type": "chat"}}}`)); m["ok"] != true {
		t.Errorf("identity: %v", m)
	}
	c.want(t, "identity", []string{"nats/v2/"}, nil)
	// Fire-and-forget feedback, encoded: not recorded, counted, logged.
	fb := &nats.Msg{Subject: natsx.SubjectFeedback, Header: nats.Header{"Content-Encoding": {"gzip"}},
		Data: []byte(`{"request_id": "f1", "tenant_id": "acme", "target": "openai:gpt-4o", "status": "ok", "cost": 0.6}`)}
	if err := nc.PublishMsg(fb); err != nil {
		t.Fatal(err)
	}
	ask(natsx.SubjectFeedback, nil, []byte(`{"request_id": "f2", "tenant_id": "acme", "target": "openai:gpt-4o", "status": "ok", "cost": 0.5}`))
	if got := st.MonthSpend("acme", time.Now()); got != 500_000_000 {
		t.Errorf("month spend %d, want $0.50: encoded feedback was recorded as JSON", got)
	}
	c.want(t, "fire-and-forget", []string{"nats/feedback/"}, []string{"nats/unreadable"})
	if out := logged.String(); !strings.Contains(out, `msg="NATS feedback without a reply subject not recorded" subject=rpl.v2.feedback count=1 answer=`) ||
		!strings.Contains(out, `Content-Encoding \"gzip\" is not supported`) {
		t.Errorf("log:\n%s", out)
	}
	h := nats.Header{"Traceparent": {"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}, "content-encoding": {"identity, gzip"}}
	if n := testing.AllocsPerRun(100, func() { natsx.Encoded(h) }); n != 0 {
		t.Errorf("%v allocations reading the header, want 0", n)
	}
}
