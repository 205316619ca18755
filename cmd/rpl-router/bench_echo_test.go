package main

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/rpl-lang/rpl/runtime/natsx"
)

// TestEchoLimits: the bench's echo has the router's limits: its
// subscriptions drop past the router's backlog (MaxPending + 65,536
// messages, 64 MiB), and a subscription with more than 1,024 requests
// queued answers overloaded, which the bench counts failed, as the
// router's. The echo had no limit, and answered every request however
// far behind it was.
func TestEchoLimits(t *testing.T) {
	s, err := natsx.StartEmbedded(natsx.EmbeddedOptions{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Shutdown()
	nc, err := natsx.ConnectInProcess(s)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	subs, err := serveEcho(nc)
	if err != nil {
		t.Fatal(err)
	}
	if len(subs) == 0 {
		t.Fatal("no echo subscription")
	}
	for _, sub := range subs {
		if msgs, bytes, err := sub.PendingLimits(); err != nil || msgs != 1024+1<<16 || bytes != 64<<20 {
			t.Errorf("echo subscription limits: %d messages, %d bytes (%v), want the router's, %d and %d", msgs, bytes, err, 1024+1<<16, 64<<20)
		}
	}

	// A backlog of 1,100 requests, handed to the echo one by one: the
	// first 75 find more than 1,024 queued behind them.
	const n = 1100
	in, err := nc.SubscribeSync("echo.test")
	if err != nil {
		t.Fatal(err)
	}
	in.SetPendingLimits(-1, -1)
	replies, err := nc.SubscribeSync("echo.replies.>")
	if err != nil {
		t.Fatal(err)
	}
	replies.SetPendingLimits(-1, -1)
	for i := range n {
		if err := nc.PublishRequest("echo.test", fmt.Sprint("echo.replies.", i), []byte(fmt.Sprint("req-", i))); err != nil {
			t.Fatal(err)
		}
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	for range n {
		m, err := in.NextMsg(10 * time.Second)
		if err != nil {
			t.Fatal(err)
		}
		echo(m)
	}
	overloaded, echoed := 0, 0
	ok := okReply("echo")
	for i := range n {
		m, err := replies.NextMsg(10 * time.Second)
		if err != nil {
			t.Fatalf("reply %d: %v", i, err)
		}
		switch {
		case bytes.Equal(m.Data, echoOverloaded) && !ok(m.Data):
			overloaded++
		case string(m.Data) == "req-"+m.Subject[len("echo.replies."):] && ok(m.Data):
			echoed++
		default:
			t.Errorf("reply on %s: %q", m.Subject, m.Data)
		}
	}
	if overloaded != n-1-1024 || echoed != 1025 {
		t.Errorf("%d answered overloaded, %d echoed; want %d and 1025", overloaded, echoed, n-1-1024)
	}
}
