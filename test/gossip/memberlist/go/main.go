// A real hashicorp/memberlist peer for the interoperability tests. It prints one line per
// event on stdout and obeys commands on stdin (members, leave, quit).
package main

import (
	"bufio"
	"encoding/base64"
	"flag"
	"fmt"
	"io/ioutil"
	"log"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/memberlist"
)

var out sync.Mutex

func say(format string, args ...interface{}) {
	out.Lock()
	defer out.Unlock()
	fmt.Printf(format+"\n", args...)
}

type events struct{}

func (events) NotifyJoin(n *memberlist.Node)   { say("JOIN %s %s:%d", n.Name, n.Addr, n.Port) }
func (events) NotifyLeave(n *memberlist.Node)  { say("LEAVE %s", n.Name) }
func (events) NotifyUpdate(n *memberlist.Node) { say("UPDATE %s %s", n.Name, string(n.Meta)) }

type delegate struct{ meta string }

func (d delegate) NodeMeta(limit int) []byte                  { return []byte(d.meta) }
func (d delegate) NotifyMsg(b []byte)                         { say("MSG %s", string(b)) }
func (d delegate) GetBroadcasts(overhead, limit int) [][]byte { return nil }
func (d delegate) LocalState(join bool) []byte                { return []byte("go-state") }
func (d delegate) MergeRemoteState(buf []byte, join bool)     { say("STATE %s %v", string(buf), join) }

func main() {
	name := flag.String("name", "go", "node name")
	bind := flag.String("bind", "127.0.0.1", "bind address")
	port := flag.Int("port", 0, "bind port (0 = any)")
	key := flag.String("key", "", "base64 encryption key")
	join := flag.String("join", "", "address to join")
	probe := flag.Int("probe-ms", 200, "probe interval in ms")
	verbose := flag.Bool("v", true, "log memberlist to stderr")
	proto := flag.Int("proto", 2, "memberlist protocol version (1 seals with encryption version 0)")
	flag.Parse()

	c := memberlist.DefaultLocalConfig()
	c.Name = *name
	c.ProtocolVersion = uint8(*proto)
	c.BindAddr = *bind
	c.BindPort = *port
	c.AdvertisePort = *port
	c.ProbeInterval = time.Duration(*probe) * time.Millisecond
	c.ProbeTimeout = c.ProbeInterval / 2
	c.GossipInterval = 50 * time.Millisecond
	c.PushPullInterval = 2 * time.Second
	c.Events = events{}
	c.Delegate = delegate{meta: "go-meta"}
	c.DelegateProtocolMin, c.DelegateProtocolMax, c.DelegateProtocolVersion = 2, 5, 4
	if *verbose {
		c.LogOutput = os.Stderr
	} else {
		c.Logger = log.New(ioutil.Discard, "", 0)
	}
	if *key != "" {
		k, err := base64.StdEncoding.DecodeString(*key)
		if err != nil {
			say("ERROR %v", err)
			os.Exit(2)
		}
		c.SecretKey = k
	}
	m, err := memberlist.Create(c)
	if err != nil {
		say("ERROR %v", err)
		os.Exit(1)
	}
	say("READY %d", c.BindPort)
	if *join != "" {
		n, err := m.Join([]string{*join})
		if err != nil {
			say("JOINERR %s", strings.ReplaceAll(err.Error(), "\n", " "))
		} else {
			say("JOINED %d", n)
		}
	}
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		switch f := strings.Fields(sc.Text()); {
		case len(f) == 0:
		case f[0] == "members":
			var names []string
			for _, n := range m.Members() {
				names = append(names, n.Name)
			}
			sort.Strings(names)
			say("MEMBERS %s", strings.Join(names, ","))
		case f[0] == "join" && len(f) > 1:
			n, err := m.Join(f[1:])
			if err != nil {
				say("JOINERR %s", strings.ReplaceAll(err.Error(), "\n", " "))
			} else {
				say("JOINED %d", n)
			}
		case f[0] == "send" && len(f) > 2:
			for _, n := range m.Members() {
				if n.Name == f[1] {
					m.SendReliable(n, []byte(f[2]))
					m.SendBestEffort(n, []byte(f[2]+"-udp"))
				}
			}
		case f[0] == "leave":
			m.Leave(time.Second)
			say("LEFT")
		case f[0] == "quit":
			m.Shutdown()
			os.Exit(0)
		}
	}
	m.Shutdown()
}
