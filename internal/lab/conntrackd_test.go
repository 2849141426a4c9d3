package lab

import (
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestLiveConntrackdPair checks that two syncing daemons replicate: a
// connection made in one lab is in its daemon's internal cache and, after
// the sync, in the other daemon's external cache, while the other lab's
// own table and internal cache do not have it. Then Stop ends each daemon
// by its PID, which removes its lock file and socket.
func TestLiveConntrackdPair(t *testing.T) {
	for _, mode := range []string{"FTFW", "NOTRACK", "ALARM"} {
		t.Run(mode, func(t *testing.T) {
			a, b, da, db := PairForTest(t, mode, "a flow of one lab in the other's conntrackd external cache")
			var c net.Conn
			err := a.Do(func() error {
				ln, err := net.Listen("tcp", "127.0.0.1:0")
				if err != nil {
					return err
				}
				defer ln.Close()
				if c, err = net.Dial("tcp", ln.Addr().String()); err != nil {
					return err
				}
				s, err := ln.Accept()
				if err == nil {
					s.Close()
				}
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			flow := "sport=" + strconv.Itoa(c.LocalAddr().(*net.TCPAddr).Port) + " dport=" + strconv.Itoa(c.RemoteAddr().(*net.TCPAddr).Port)

			var ext []byte
			for deadline := time.Now().Add(5 * time.Second); !strings.Contains(string(ext), flow); time.Sleep(100 * time.Millisecond) {
				if time.Now().After(deadline) {
					t.Fatalf("conntrackd -e of lab b has no %q after 5s:\n%s", flow, ext)
				}
				if ext, err = db.Client("-e"); err != nil {
					t.Fatal(err)
				}
			}
			for _, q := range []struct {
				what string
				run  func() ([]byte, error)
				want bool
			}{
				{"conntrackd -i of lab a", func() ([]byte, error) { return da.Client("-i") }, true},
				{"conntrackd -i of lab b", func() ([]byte, error) { return db.Client("-i") }, false},
				{"conntrackd -e of lab a", func() ([]byte, error) { return da.Client("-e") }, false},
				{"conntrack -L of lab b", func() ([]byte, error) { return b.Conntrack("-L") }, false},
			} {
				out, err := q.run()
				if err != nil {
					t.Fatal(err)
				}
				if strings.Contains(string(out), flow) != q.want {
					t.Errorf("%s has %q: %v, want %v:\n%s", q.what, flow, !q.want, q.want, out)
				}
			}

			for _, d := range []*Conntrackd{da, db} {
				pid := d.PID()
				if err := d.Stop(); err != nil {
					t.Fatal(err)
				}
				if err := syscall.Kill(pid, 0); err != syscall.ESRCH {
					t.Errorf("conntrackd %d after Stop: %v, want no such process", pid, err)
				}
				for _, f := range []string{"conntrackd.lock", "conntrackd.sock"} {
					if _, err := os.Stat(filepath.Join(filepath.Dir(d.Config), f)); !os.IsNotExist(err) {
						t.Errorf("%s is left after Stop: %v", f, err)
					}
				}
				if _, err := d.Client("-s"); err == nil {
					t.Errorf("conntrackd -C %s -s answers after Stop", d.Config)
				}
			}
		})
	}
}
