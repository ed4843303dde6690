// Package installer installs, starts, stops and removes the Vigie agent as a
// system service (systemd on Linux, the service manager on Windows) through
// github.com/kardianos/service, writes the default configuration, and runs
// the service body.
package installer

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"time"

	"github.com/kardianos/service"

	"github.com/vigie-cyber/vigie/agent"
	"github.com/vigie-cyber/vigie/agent/keystore"
	"github.com/vigie-cyber/vigie/checks/livehost"
	"github.com/vigie-cyber/vigie/protocol"
)

// hostInfo collects the host facts sent at enrolment (best effort).
func hostInfo(ctx context.Context) protocol.HostInfo {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	info, _ := livehost.New().Facts.Info(ctx)
	return info
}

// ServiceName is the service's name (systemd unit vigie.service, Windows
// service "vigie").
const ServiceName = "vigie"

// Options says what to install and where.
type Options struct {
	// Root, when set, is a directory standing for "/": every file goes under
	// it and no service manager is called (the unit is written and "enabled"
	// as systemctl would, with the wants/ symlink). For tests and packaging.
	Root string
	// ConfigPath defaults to agent.DefaultConfigPath(). StateDir, when set
	// (--state-dir), wins over the configuration's state_dir; unset, the
	// configuration's is used, else agent.DefaultStateDir() (StateDirOf).
	ConfigPath string
	StateDir   string
	// Executable is the vigie binary the service runs (default: this one).
	Executable string

	// Enrolment (skipped when Token is empty: enrol later with vigie enroll).
	HubURL      string
	Token       string
	Fingerprint string
	CAFile      string
	Proxy       string

	Log *slog.Logger
	// Enroll replaces agent.Enroll (tests).
	Enroll func(context.Context, agent.EnrollOptions) (*agent.Enrolment, error)
}

// Result is what Install did.
type Result struct {
	ConfigPath    string
	ConfigWritten bool // false: an existing configuration was kept
	UnitPath      string
	Enrolment     *agent.Enrolment
	Started       bool
	// MovedAside lists folders owned by someone else than SYSTEM,
	// Administrators or root, moved aside rather than reused.
	MovedAside []string
	// DelayedStartErr is why delayed automatic start could not be set
	// (Wine); the service is installed all the same.
	DelayedStartErr error
}

// StateDirOf is the state folder o designates (not mapped under Root): the
// explicit one, else the configuration's state_dir, else the system's.
func StateDirOf(o Options) string {
	if o.StateDir != "" {
		return o.StateDir
	}
	if o.ConfigPath == "" {
		o.ConfigPath = agent.DefaultConfigPath()
	}
	if cfg, err := agent.LoadConfig(o.at(o.ConfigPath)); err == nil {
		return cfg.StateDir
	}
	return agent.DefaultStateDir()
}

func (o *Options) defaults() error {
	if o.ConfigPath == "" {
		o.ConfigPath = agent.DefaultConfigPath()
	}
	if o.Executable == "" {
		exe, err := os.Executable()
		if err != nil {
			return fmt.Errorf("chemin du programme introuvable : %w", err)
		}
		if resolved, err := filepath.EvalSymlinks(exe); err == nil {
			exe = resolved
		}
		o.Executable = exe
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Enroll == nil {
		o.Enroll = agent.Enroll
	}
	return nil
}

// at maps an absolute system path under Root.
func (o *Options) at(p string) string {
	if o.Root == "" {
		return p
	}
	return filepath.Join(o.Root, p[len(filepath.VolumeName(p)):])
}

// ServiceConfig is the kardianos/service configuration: automatic start,
// restart on failure (Windows recovery actions; Restart= in the unit),
// the hardened systemd unit on Linux.
func ServiceConfig(o Options) *service.Config {
	o.defaults()
	return &service.Config{
		Name:        ServiceName,
		DisplayName: "Vigie",
		Description: "Vigie : autodiagnostic de cybersécurité, envoie un bilan signé au hub régional.",
		Executable:  o.Executable,
		// --service: started by the service manager, whatever the process
		// looks like (Wine's services.exe is not recognised as such).
		Arguments: []string{"run", "--service", "--config", o.ConfigPath},
		Option: service.KeyValue{
			// Windows: automatic start (delayed afterwards, so boot is not
			// slowed: see setDelayedAutoStart); restart one minute after a
			// crash, failure count reset daily.
			"StartType":              "automatic",
			"OnFailure":              "restart",
			"OnFailureDelayDuration": "1m",
			"OnFailureResetPeriod":   86400,
			// Linux: our unit (hardening documented in SystemdUnit); logs go
			// to the journal, not to files.
			"SystemdScript": SystemdUnit(o.Executable, o.ConfigPath),
			"LogOutput":     false,
		},
	}
}

// unitPath is where systemd units of the system live.
const unitPath = "/etc/systemd/system/" + ServiceName + ".service"
const wantsLink = "/etc/systemd/system/multi-user.target.wants/" + ServiceName + ".service"

// Install writes the configuration (kept if present), enrols the agent when
// a token is given, installs the service and starts it. It is idempotent: a
// second install with the service present only enrols and restarts.
func Install(ctx context.Context, o Options) (*Result, error) {
	if err := o.defaults(); err != nil {
		return nil, err
	}
	res := &Result{ConfigPath: o.at(o.ConfigPath)}
	if o.Root == "" {
		// A folder someone else created before us is never reused.
		self := installingAdmin()
		for _, d := range uniq(filepath.Dir(o.ConfigPath), o.StateDir) {
			aside, err := secureFolder(d, pathOwner, self, time.Now(), o.Log)
			if err != nil {
				return nil, err
			}
			if aside != "" {
				res.MovedAside = append(res.MovedAside, aside)
			}
		}
	}
	written, err := writeConfig(o)
	if err != nil {
		return nil, err
	}
	res.ConfigWritten = written
	cfg, err := agent.LoadConfig(res.ConfigPath)
	if err != nil {
		return nil, fmt.Errorf("configuration existante invalide, corrigez-la ou supprimez-la : %w", err)
	}
	// The service reads its state where the configuration says: enrolling
	// elsewhere would leave it unenrolled.
	if o.StateDir != "" && filepath.Clean(o.StateDir) != filepath.Clean(cfg.StateDir) {
		return nil, fmt.Errorf("la configuration existante %s indique state_dir = %q, pas %q : modifiez-la, ou retirez --state-dir", res.ConfigPath, cfg.StateDir, o.StateDir)
	}
	if o.Token != "" {
		hub := o.HubURL
		if hub == "" {
			hub = cfg.Hub.URL
		}
		if hub == "" {
			return nil, errors.New("adresse du hub manquante : --hub https://... ou [hub] url dans la configuration")
		}
		e, err := o.Enroll(ctx, agent.EnrollOptions{
			HubURL: hub, Token: o.Token, Fingerprint: agent.NormalizeFingerprint(firstNonEmpty(o.Fingerprint, cfg.Hub.Fingerprint)),
			CAFile: firstNonEmpty(o.CAFile, cfg.Hub.CAFile), Proxy: firstNonEmpty(o.Proxy, cfg.Hub.Proxy),
			StateDir: o.at(cfg.StateDir), Host: hostInfo(ctx),
		})
		if err != nil {
			return nil, err
		}
		res.Enrolment = e
		o.Log.Info("agent inscrit", "agent_id", e.AgentID, "entity", e.Entity)
	}
	if o.Root != "" {
		res.UnitPath = o.at(unitPath)
		return res, installUnitFiles(o)
	}
	s, err := service.New(&agent.Program{}, ServiceConfig(o))
	if err != nil {
		return nil, fmt.Errorf("gestionnaire de services : %w", err)
	}
	if runtime.GOOS == "linux" {
		res.UnitPath = unitPath
	}
	if st, err := s.Status(); err == nil && st != service.StatusUnknown {
		// Already installed: restart to pick up a new enrolment or config.
		if err := s.Restart(); err != nil {
			return res, fmt.Errorf("redémarrage du service : %w", err)
		}
		res.Started = true
		return res, nil
	}
	if err := s.Install(); err != nil {
		return res, fmt.Errorf("installation du service : %w (lancez la commande en administrateur / root)", err)
	}
	if err := setDelayedAutoStart(ServiceName); err != nil {
		// The service stays installed, started at boot without the delay.
		o.Log.Warn("démarrage différé non appliqué, le service démarrera sans délai", "err", err)
		res.DelayedStartErr = err
	}
	if err := s.Start(); err != nil {
		return res, fmt.Errorf("démarrage du service : %w", err)
	}
	res.Started = true
	return res, nil
}

func firstNonEmpty(a ...string) string {
	for _, s := range a {
		if s != "" {
			return s
		}
	}
	return ""
}

// writeConfig writes the default configuration unless one exists.
func writeConfig(o Options) (bool, error) {
	p := o.at(o.ConfigPath)
	if _, err := os.Stat(p); err == nil {
		return false, nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return false, err
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return false, fmt.Errorf("dossier de configuration : %w", err)
	}
	if err := keystore.WriteFileAtomic(p, agent.DefaultConfig(o.HubURL, agent.NormalizeFingerprint(o.Fingerprint), firstNonEmpty(o.StateDir, agent.DefaultStateDir())), 0o640); err != nil {
		return false, fmt.Errorf("écriture de la configuration : %w", err)
	}
	return true, nil
}

// installUnitFiles does on disk what kardianos/service and `systemctl
// enable` do, under Root.
func installUnitFiles(o Options) error {
	if runtime.GOOS == "windows" {
		return nil // nothing on disk: the service lives in the registry
	}
	u, l := o.at(unitPath), o.at(wantsLink)
	if err := os.MkdirAll(filepath.Dir(l), 0o755); err != nil {
		return err
	}
	if err := keystore.WriteFileAtomic(u, []byte(SystemdUnit(o.Executable, o.ConfigPath)), 0o644); err != nil {
		return err
	}
	os.Remove(l)
	return os.Symlink(unitPath, l)
}

// Uninstall stops and removes the service; purge also deletes the
// configuration and the state (key, spool: unsent scorecards are lost).
// removed says whether a service was there to remove, asked of the service
// manager (never guessed from an error's wording, which Windows localises).
func Uninstall(o Options, purge bool) (removed bool, err error) {
	if err := o.defaults(); err != nil {
		return false, err
	}
	if o.Root != "" {
		for _, p := range []string{wantsLink, unitPath} {
			err := os.Remove(o.at(p))
			switch {
			case err == nil:
				removed = true
			case !errors.Is(err, fs.ErrNotExist):
				return removed, err
			}
		}
	} else {
		s, err := service.New(&agent.Program{}, ServiceConfig(o))
		if err != nil {
			return false, err
		}
		_, serr := s.Status()
		switch {
		case errors.Is(serr, service.ErrNotInstalled):
		default:
			s.Stop() // not running is fine
			if err := s.Uninstall(); err != nil {
				return false, fmt.Errorf("désinstallation du service : %w", err)
			}
			removed = true
		}
	}
	if purge {
		stateDir := StateDirOf(o)
		for _, p := range []string{o.at(stateDir), o.at(o.ConfigPath)} {
			if err := removeTree(p); err != nil {
				return removed, fmt.Errorf("suppression de %s : %w", p, err)
			}
		}
	}
	return removed, nil
}

// ServiceState is the service manager's view.
type ServiceState string

// Service states.
const (
	StateRunning      ServiceState = "running"
	StateStopped      ServiceState = "stopped"
	StateNotInstalled ServiceState = "not-installed"
	StateUnknown      ServiceState = "unknown"
)

// Status reports the service state and the agent's status (state file,
// spool). The agent part is read even when the service is not installed.
func Status(o Options) (ServiceState, *agent.Status, error) {
	if err := o.defaults(); err != nil {
		return StateUnknown, nil, err
	}
	ast, err := agent.ReadStatus(o.at(StateDirOf(o)))
	svc := StateUnknown
	if o.Root != "" {
		svc = StateNotInstalled
		if _, e := os.Lstat(o.at(wantsLink)); e == nil {
			svc = StateStopped // enabled; nothing runs under a test root
		}
	} else if s, e := service.New(&agent.Program{}, ServiceConfig(o)); e == nil {
		switch st, e := s.Status(); {
		case errors.Is(e, service.ErrNotInstalled):
			svc = StateNotInstalled
		case st == service.StatusRunning:
			svc = StateRunning
		case st == service.StatusStopped:
			svc = StateStopped
		}
	}
	return svc, ast, err
}

// Start and Stop control the installed service.
func Start(o Options) error { return control(o, service.Service.Start) }

// Stop stops the installed service.
func Stop(o Options) error { return control(o, service.Service.Stop) }

func control(o Options, fn func(service.Service) error) error {
	if err := o.defaults(); err != nil {
		return err
	}
	s, err := service.New(&agent.Program{}, ServiceConfig(o))
	if err != nil {
		return err
	}
	return fn(s)
}

// RunService is the body of `vigie run`: under the service manager it runs
// until told to stop; from a terminal it runs until Ctrl-C. Logs go to the
// journal / event log (or stderr in a terminal). forced (vigie run
// --service, the installed service's command line) runs it as a service
// even when the process does not look started by the service manager:
// under Wine, svc.IsWindowsService is false for a real service, and
// kardianos/service would wait for Ctrl-C while services.exe times out
// waiting for the service to report itself started.
func RunService(configPath string, forced bool, opt agent.Options) error {
	cfg, err := agent.LoadConfig(configPath)
	if err != nil {
		return err
	}
	prg := &agent.Program{}
	s, err := service.New(prg, ServiceConfig(Options{ConfigPath: configPath, StateDir: cfg.StateDir}))
	if err != nil {
		return err
	}
	if opt.Log == nil {
		logger, err := s.Logger(nil)
		if err != nil {
			return err
		}
		opt.Log = slog.New(agent.NewServiceLogHandler(logger, slog.LevelInfo))
	}
	a, err := agent.New(cfg, opt)
	if err != nil {
		opt.Log.Error("démarrage impossible", "err", err)
		return err
	}
	prg.Agent, prg.Log = a, opt.Log
	if forced {
		return runForced(s)
	}
	return s.Run()
}

// removeTree removes a file or a folder and its contents, files first,
// then folders from the deepest up. os.RemoveAll does the same in one call
// but, with Go 1.26 under Wine (MSI uninstall with PURGE=1 tested there),
// fails on a non-empty folder ("unlinkat: Invalid function"); one os.Remove
// per entry works everywhere.
func removeTree(root string) error {
	var files, dirs []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			dirs = append(dirs, p)
		} else {
			files = append(files, p)
		}
		return nil
	})
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, f := range files {
		if err := os.Remove(f); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	for i := len(dirs) - 1; i >= 0; i-- {
		if err := os.Remove(dirs[i]); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	return nil
}

func uniq(a ...string) []string {
	var out []string
	for _, s := range a {
		if s != "" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}
