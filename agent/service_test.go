package agent

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigie-cyber/vigie/protocol"
)

// TestProgramStopsWithinFiveSeconds: Stop during a long scan cancels it,
// returns well within the 5 s the service managers allow, and the
// interrupted scan is neither signed nor spooled.
func TestProgramStopsWithinFiveSeconds(t *testing.T) {
	t.Parallel()
	hub := newTestHub(t, nil)
	started := make(chan struct{})
	a, _ := enrolledAgent(t, hub, Options{Rand: zero, Scan: func(ctx context.Context, o ScanOptions) (*protocol.Scorecard, error) {
		close(started)
		<-ctx.Done() // a scan that runs until told to stop
		return fakeScan(ctx, o)
	}})
	p := &Program{Agent: a, Log: testLogger(t)}
	if err := p.Start(nil); err != nil {
		t.Fatal(err)
	}
	if err := p.Start(nil); err == nil {
		t.Error("second Start accepted")
	}
	select {
	case <-started:
	case <-time.After(10 * time.Second):
		t.Fatal("scan never started")
	}
	t0 := time.Now()
	if err := p.Stop(nil); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(t0); d > StopTimeout {
		t.Errorf("stop took %v", d)
	} else {
		t.Logf("stopped in %v", d)
	}
	if files, _, _ := a.Spool().Stats(); files != 0 || len(hub.storedSeqs()) != 0 {
		t.Errorf("interrupted scan was spooled or sent")
	}
	if err := p.Stop(nil); err != nil {
		t.Errorf("second Stop: %v", err)
	}
}

type recLogger struct {
	mu    sync.Mutex
	lines []string
}

func (l *recLogger) add(k string, v ...any) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, k+" "+fmt.Sprint(v...))
	return nil
}
func (l *recLogger) Error(v ...any) error              { return l.add("E", v...) }
func (l *recLogger) Warning(v ...any) error            { return l.add("W", v...) }
func (l *recLogger) Info(v ...any) error               { return l.add("I", v...) }
func (l *recLogger) Errorf(f string, v ...any) error   { return l.add("E", fmt.Sprintf(f, v...)) }
func (l *recLogger) Warningf(f string, v ...any) error { return l.add("W", fmt.Sprintf(f, v...)) }
func (l *recLogger) Infof(f string, v ...any) error    { return l.add("I", fmt.Sprintf(f, v...)) }

func TestServiceLogHandler(t *testing.T) {
	t.Parallel()
	rl := &recLogger{}
	log := slog.New(NewServiceLogHandler(rl, slog.LevelInfo)).With("agent", "ab12")
	log.Debug("hidden")
	log.Info("analyse terminée", "score", 72)
	log.WithGroup("up").Warn("réessai", "in", "30s")
	log.Error("échec", "err", "boom")
	got := strings.Join(rl.lines, "\n")
	for _, want := range []string{`I msg="analyse terminée" agent=ab12 score=72`, `W msg=réessai agent=ab12 up.in=30s`, `E msg=échec agent=ab12 err=boom`} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %q in\n%s", want, got)
		}
	}
	if strings.Contains(got, "hidden") || strings.Contains(got, "time=") {
		t.Errorf("debug or timestamp leaked:\n%s", got)
	}
}
