package natstest

import (
	"context"
	"fmt"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Cluster starts n NATS servers with JetStream (each storing up to
// maxStore bytes; 0: the default), routed to each other as one cluster on
// loopback, and waits until JetStream has a leader. They are shut down
// when the test ends.
func Cluster(t testing.TB, n int, maxStore int64) []*server.Server {
	t.Helper()
	routes := make([]string, n)
	for i := range routes {
		routes[i] = "nats://" + freeAddr(t)
	}
	servers := make([]*server.Server, n)
	for i := range servers {
		servers[i] = clusterServer(t, fmt.Sprintf("n%d", i+1), routes[i], routes, maxStore)
	}
	for _, s := range servers {
		if !s.ReadyForConnections(10 * time.Second) {
			t.Fatalf("%s not ready", s.Name())
		}
	}
	nc, js := JetStream(t, servers[0].ClientURL())
	defer nc.Close()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		_, err := js.AccountInfo(ctx)
		cancel()
		if err == nil && allPeers(servers) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for a JetStream meta leader and its %d peers: %v", n, err)
		}
	}
	return servers
}

// allPeers reports whether the meta leader of servers has them all as
// online peers with their stats: before, a stream of as many replicas
// as servers could not be placed yet ("no suitable peers for placement,
// peer offline", err_code 10005), which failed a test's first push.
func allPeers(servers []*server.Server) bool {
	for _, s := range servers {
		if s.JetStreamIsLeader() {
			return len(s.JetStreamClusterPeers()) == len(servers)
		}
	}
	return false
}

// clusterServer starts a server of a Cluster named name, its cluster
// listener on route (nats://host:port), routed to routes; it is shut
// down when the test ends.
func clusterServer(t testing.TB, name, route string, routes []string, maxStore int64) *server.Server {
	t.Helper()
	host, port, _ := net.SplitHostPort(strings.TrimPrefix(route, "nats://"))
	cport, _ := strconv.Atoi(port)
	return startServer(t, &server.Options{
		ServerName:        name,
		Host:              "127.0.0.1",
		Port:              -1,
		JetStream:         true,
		StoreDir:          filepath.Join(t.TempDir(), "js"),
		JetStreamMaxStore: maxStore,
		Cluster:           server.ClusterOpts{Name: "rpl-test", Host: host, Port: cport},
		Routes:            server.RoutesFromStr(strings.Join(routes, ",")),
		NoSigs:            true,
		NoLog:             true,
	})
}

// clusterOpts are the options of the servers of Cluster and Join, for
// Restart.
var clusterOpts sync.Map // *server.Server: *server.Options

// startServer starts a server with opts (a copy: a server changes its
// own), shut down when the test ends.
func startServer(t testing.TB, opts *server.Options) *server.Server {
	t.Helper()
	s, err := server.NewServer(opts.Clone())
	if err != nil {
		t.Fatal(err)
	}
	clusterOpts.Store(s, opts)
	go s.Start()
	t.Cleanup(func() {
		s.Shutdown()
		clusterOpts.Delete(s)
	})
	return s
}

// Restart shuts s, a server of Cluster or Join, down (if the test did
// not) and starts it again with its name, store and cluster address: it
// rejoins the cluster as the same JetStream peer, on another client
// port. It returns the server started.
func Restart(t testing.TB, s *server.Server) *server.Server {
	t.Helper()
	opts, ok := clusterOpts.Load(s)
	if !ok {
		t.Fatalf("%s: not a server of natstest.Cluster", s.Name())
	}
	s.Shutdown()
	s.WaitForShutdown()
	ns := startServer(t, opts.(*server.Options))
	if !ns.ReadyForConnections(10 * time.Second) {
		t.Fatalf("%s not ready", ns.Name())
	}
	return ns
}

// Join starts one more server with JetStream, routed to the servers of
// a Cluster, and waits until the cluster's JetStream counts it among its
// servers (the cluster grown by one, as an operator adds a server).
func Join(t testing.TB, cluster []*server.Server) *server.Server {
	t.Helper()
	var routes []string
	for _, s := range cluster {
		routes = append(routes, fmt.Sprintf("nats://%s", s.ClusterAddr()))
	}
	own := "nats://" + freeAddr(t)
	s := clusterServer(t, fmt.Sprintf("n%d", len(cluster)+1), own, append(routes, own), 0)
	if !s.ReadyForConnections(10 * time.Second) {
		t.Fatalf("%s not ready", s.Name())
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		for _, c := range cluster {
			if len(c.JetStreamClusterPeers()) == len(cluster)+1 { // the leader's count
				return s
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not among the cluster's JetStream servers", s.Name())
		}
	}
}

// freeAddr is a loopback address with a port free a moment ago.
func freeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// JetStream connects to the server at url and returns the connection
// (closed at the test's end, or before by the caller) and its JetStream.
func JetStream(t testing.TB, url string) (*nats.Conn, jetstream.JetStream) {
	t.Helper()
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	return nc, js
}

// StopLeader shuts down the server of cluster that LeadStream makes the
// leader of JetStream and of stream: requests for the stream's info,
// which its leader answers (the meta leader, when it has none), go
// unanswered until both are elected again, as when an operator loses
// that server. It returns the server stopped and one left.
func StopLeader(t testing.TB, cluster []*server.Server, stream string) (stopped, left *server.Server) {
	t.Helper()
	stopped = LeadStream(t, cluster, stream)
	stopped.Shutdown()
	for _, s := range cluster {
		if s != stopped && s.Running() {
			left = s
		}
	}
	return stopped, left
}

// LeadStream makes the JetStream meta leader of cluster the leader of
// stream too, and returns it once the stream's other copies are current
// (a server just restarted has caught up: its loss and the leader's then
// leave a quorum).
func LeadStream(t testing.TB, cluster []*server.Server, stream string) *server.Server {
	t.Helper()
	var meta *server.Server
	for deadline := time.Now().Add(10 * time.Second); meta == nil; time.Sleep(10 * time.Millisecond) {
		for _, s := range cluster {
			if s.Running() && s.JetStreamIsLeader() {
				meta = s
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("no JetStream meta leader")
		}
	}
	nc, js := JetStream(t, meta.ClientURL())
	defer nc.Close()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		st, err := js.Stream(ctx, stream)
		cancel()
		if err == nil && st.CachedInfo().Cluster != nil && st.CachedInfo().Cluster.Leader == meta.Name() && current(st.CachedInfo().Cluster.Replicas) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("stream %s not led by %s", stream, meta.Name())
		}
		nc.Request("$JS.API.STREAM.LEADER.STEPDOWN."+stream, []byte(`{"placement":{"preferred":"`+meta.Name()+`"}}`), time.Second)
	}
	return meta
}

// current reports whether each of a stream's copies is current.
func current(peers []*jetstream.PeerInfo) bool {
	for _, p := range peers {
		if !p.Current || p.Offline {
			return false
		}
	}
	return true
}
