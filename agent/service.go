package agent

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/kardianos/service"
)

// StopTimeout is how long Stop waits for the loop: the service manager is
// told the service stopped within it (systemd and Windows kill later).
const StopTimeout = 5 * time.Second

// Program adapts the agent to github.com/kardianos/service: Start returns at
// once and runs the loop in the background; Stop cancels it (in-flight scan
// and upload see their context cancelled) and waits at most StopTimeout.
type Program struct {
	Agent *Agent
	Log   *slog.Logger

	mu     sync.Mutex
	cancel context.CancelFunc
	done   chan struct{}
}

// Start implements service.Interface.
func (p *Program) Start(service.Service) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.done != nil {
		return fmt.Errorf("already started")
	}
	ctx, cancel := context.WithCancel(context.Background())
	p.cancel, p.done = cancel, make(chan struct{})
	go func(done chan struct{}) {
		defer close(done)
		if err := p.Agent.Run(ctx); err != nil && p.Log != nil {
			p.Log.Error("service Vigie arrêté sur erreur", "err", err)
		}
	}(p.done)
	return nil
}

// Stop implements service.Interface.
func (p *Program) Stop(service.Service) error {
	p.mu.Lock()
	cancel, done := p.cancel, p.done
	p.cancel, p.done = nil, nil
	p.mu.Unlock()
	if cancel == nil {
		return nil
	}
	cancel()
	select {
	case <-done:
		return nil
	case <-time.After(StopTimeout - 500*time.Millisecond):
		return fmt.Errorf("le service ne s'est pas arrêté en %v", StopTimeout)
	}
}

// ServiceLogHandler sends slog records to the service manager's logger:
// journald (through syslog/stderr) on Linux, the event log on Windows.
type ServiceLogHandler struct {
	l     service.Logger
	level slog.Leveler
	attrs []slog.Attr
	group string
}

// NewServiceLogHandler wraps l; records below level are dropped.
func NewServiceLogHandler(l service.Logger, level slog.Leveler) *ServiceLogHandler {
	if level == nil {
		level = slog.LevelInfo
	}
	return &ServiceLogHandler{l: l, level: level}
}

// Enabled implements slog.Handler.
func (h *ServiceLogHandler) Enabled(_ context.Context, l slog.Level) bool {
	return l >= h.level.Level()
}

// Handle implements slog.Handler: the message then key=value pairs.
func (h *ServiceLogHandler) Handle(_ context.Context, r slog.Record) error {
	var b bytes.Buffer
	th := slog.NewTextHandler(&b, &slog.HandlerOptions{
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if len(groups) == 0 && (a.Key == slog.TimeKey || a.Key == slog.LevelKey) {
				return slog.Attr{} // the service manager stamps both
			}
			return a
		},
	})
	var hh slog.Handler = th.WithAttrs(h.attrs)
	if h.group != "" {
		hh = hh.WithGroup(h.group)
	}
	if err := hh.Handle(context.Background(), r); err != nil {
		return err
	}
	line := strings.TrimSpace(b.String())
	switch {
	case r.Level >= slog.LevelError:
		return h.l.Error(line)
	case r.Level >= slog.LevelWarn:
		return h.l.Warning(line)
	}
	return h.l.Info(line)
}

// WithAttrs implements slog.Handler.
func (h *ServiceLogHandler) WithAttrs(as []slog.Attr) slog.Handler {
	c := *h
	c.attrs = append(append([]slog.Attr{}, h.attrs...), as...)
	return &c
}

// WithGroup implements slog.Handler.
func (h *ServiceLogHandler) WithGroup(name string) slog.Handler {
	c := *h
	if c.group != "" {
		name = c.group + "." + name
	}
	c.group = name
	return &c
}
