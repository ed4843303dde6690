package main

import (
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"os"
	"runtime"
	"strings"

	"github.com/BurntSushi/toml"

	"github.com/vigie-cyber/vigie/hub/alert"
)

// defaultConfig is read when it exists and --config is not given.
const defaultConfig = "/etc/vigie-hub/hub.toml"

// hubFile is the configuration file (TOML): every command-line option as
// a top-level key of the same name with "_" for "-" (the command line
// wins), and serve's [smtp] and [[webhook]] sections (docs/alerts.md).
type hubFile struct {
	path string
	src  []string // lines, for error positions
	top  map[string]any
	SMTP *alert.SMTPConfig
	Hook []alert.WebhookConfig
}

// configError is a mistake in the configuration file: "file:line: what".
type configError struct {
	path string
	line int
	msg  string
}

func (e configError) Error() string {
	if e.line > 0 {
		return fmt.Sprintf("%s:%d : %s", e.path, e.line, e.msg)
	}
	return fmt.Sprintf("%s : %s", e.path, e.msg)
}

// fileOnlyKeys are keys some command takes that serve does not: serve
// must not refuse them (every command reads the same file).
var fileOnlyKeys = map[string]bool{"public_url": true, "expires": true}

// loadConfig reads and validates path. serveFlags names the keys serve
// accepts; a key neither there nor in fileOnlyKeys is refused.
func loadConfig(path string, serveFlags *flag.FlagSet) (*hubFile, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, configError{path: path, msg: "lecture impossible : " + err.Error()}
	}
	f := &hubFile{path: path, src: strings.Split(string(data), "\n")}
	var raw map[string]any
	md, err := toml.Decode(string(data), &raw)
	if err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			return nil, configError{path: path, line: pe.Position.Line, msg: "syntaxe TOML : " + pe.Message}
		}
		return nil, configError{path: path, msg: err.Error()}
	}
	_ = md
	f.top = map[string]any{}
	for k, v := range raw {
		switch k {
		case "smtp":
			if err := f.smtp(v); err != nil {
				return nil, err
			}
		case "webhook":
			if err := f.webhooks(v); err != nil {
				return nil, err
			}
		default:
			if _, isTable := v.(map[string]any); isTable || (serveFlags.Lookup(strings.ReplaceAll(k, "_", "-")) == nil && !fileOnlyKeys[k]) {
				return nil, f.errAt("", -1, k, "clé inconnue %q (les clés sont les options de vigie-hub, avec _ pour -, et les sections [smtp] et [[webhook]])", k)
			}
			if k == "config" {
				return nil, f.errAt("", -1, k, "config ne se donne pas dans le fichier de configuration")
			}
			f.top[k] = v
		}
	}
	return f, nil
}

// apply sets, from the file, each option of fs the command line did not set.
func (f *hubFile) apply(fs *flag.FlagSet) error {
	set := map[string]bool{}
	fs.Visit(func(fl *flag.Flag) { set[fl.Name] = true })
	for k, v := range f.top {
		name := strings.ReplaceAll(k, "_", "-")
		if fs.Lookup(name) == nil || set[name] {
			continue
		}
		vals := []any{v}
		if list, ok := v.([]any); ok {
			vals = list
		}
		for _, x := range vals {
			switch x.(type) {
			case string, int64, bool, float64:
			default:
				return f.errAt("", -1, k, "%s : valeur simple attendue (texte, nombre ou booléen)", k)
			}
			if err := fs.Set(name, fmt.Sprint(x)); err != nil {
				return f.errAt("", -1, k, "%s : %v", k, err)
			}
		}
	}
	return nil
}

// errAt is an error at key in section (index: the n-th [[section]], -1
// for a [section] or the top level).
func (f *hubFile) errAt(section string, index int, key, format string, args ...any) error {
	return configError{path: f.path, line: f.lineOf(section, index, key), msg: fmt.Sprintf(format, args...)}
}

// lineOf finds where key is set: in section (its index-th occurrence for
// an array of tables), or at the top level when section is empty. 0 when
// not found (the error then names the file alone).
func (f *hubFile) lineOf(section string, index int, key string) int {
	cur, n := "", -1
	for i, l := range f.src {
		t := strings.TrimSpace(l)
		switch {
		case strings.HasPrefix(t, "[["):
			cur = strings.TrimSpace(strings.Trim(t, "[]"))
			if cur == section {
				n++
			}
			continue
		case strings.HasPrefix(t, "["):
			cur = strings.TrimSpace(strings.Trim(t, "[]"))
			continue
		}
		if cur != section || (index >= 0 && n != index) {
			continue
		}
		if name, _, ok := strings.Cut(t, "="); ok && strings.Trim(strings.TrimSpace(name), `"`) == key {
			return i + 1
		}
		if key == "" && i > 0 {
			return i + 1
		}
	}
	return 0
}

func (f *hubFile) smtp(v any) error {
	m, ok := v.(map[string]any)
	if !ok {
		return f.errAt("", -1, "smtp", "[smtp] doit être une section")
	}
	c := &alert.SMTPConfig{}
	get := func(key string) (string, error) {
		x, ok := m[key]
		if !ok {
			return "", nil
		}
		s, ok := x.(string)
		if !ok {
			return "", f.errAt("smtp", -1, key, "smtp.%s : texte attendu", key)
		}
		return s, nil
	}
	for k := range m {
		switch k {
		case "addr", "from", "user", "password_file", "tls", "ca_file":
		default:
			return f.errAt("smtp", -1, k, "clé inconnue %q dans [smtp] (addr, from, user, password_file, tls, ca_file)", k)
		}
	}
	var err error
	fields := map[string]*string{"addr": &c.Addr, "from": &c.From, "user": &c.User, "tls": &c.TLS}
	for k, p := range fields {
		if *p, err = get(k); err != nil {
			return err
		}
	}
	if pw, err := get("password_file"); err != nil {
		return err
	} else if pw != "" {
		if c.Password, err = readSecret(pw); err != nil {
			return f.errAt("smtp", -1, "password_file", "smtp.password_file : %v", err)
		}
	}
	if ca, err := get("ca_file"); err != nil {
		return err
	} else if ca != "" {
		pem, err := os.ReadFile(ca)
		if err != nil {
			return f.errAt("smtp", -1, "ca_file", "smtp.ca_file : %v", err)
		}
		c.RootCAs = x509.NewCertPool()
		if !c.RootCAs.AppendCertsFromPEM(pem) {
			return f.errAt("smtp", -1, "ca_file", "smtp.ca_file : aucun certificat PEM dans %s", ca)
		}
	}
	if err := c.Check(); err != nil {
		key := "addr"
		for _, k := range []string{"tls", "from", "password_file"} {
			if strings.Contains(err.Error(), k) {
				key = k
				break
			}
		}
		return f.errAt("smtp", -1, key, "[smtp] %v", err)
	}
	f.SMTP = c
	return nil
}

func (f *hubFile) webhooks(v any) error {
	list, ok := v.([]map[string]any)
	if !ok {
		return f.errAt("", -1, "webhook", "les webhooks se déclarent en [[webhook]]")
	}
	for i, m := range list {
		var w alert.WebhookConfig
		for k, x := range m {
			switch k {
			case "url", "secret_file":
				s, ok := x.(string)
				if !ok {
					return f.errAt("webhook", i, k, "webhook.%s : texte attendu", k)
				}
				if k == "url" {
					if err := alert.CheckWebhookURL(s); err != nil {
						return f.errAt("webhook", i, k, "%v", err)
					}
					w.URL = s
					continue
				}
				secret, err := readSecret(s)
				if err == nil {
					_, err = alert.DecodeSecret(secret)
				}
				if err != nil {
					return f.errAt("webhook", i, k, "webhook.secret_file : %v", err)
				}
				w.Secret = secret
			case "events":
				evs, ok := x.([]any)
				if !ok {
					return f.errAt("webhook", i, k, "webhook.events : liste attendue, par exemple [\"exposure\", \"critical\"]")
				}
				for _, e := range evs {
					s, _ := e.(string)
					if _, err := alert.ParseKind(s); err != nil {
						return f.errAt("webhook", i, k, "webhook.events : %v", err)
					}
					w.Events = append(w.Events, s)
				}
			default:
				return f.errAt("webhook", i, k, "clé inconnue %q dans [[webhook]] (url, secret_file, events)", k)
			}
		}
		if w.URL == "" || w.Secret == "" || len(w.Events) == 0 {
			return f.errAt("webhook", i, "", "[[webhook]] n° %d : url, secret_file et events sont obligatoires", i+1)
		}
		f.Hook = append(f.Hook, w)
	}
	return nil
}

// readSecret reads a password or webhook secret file, which must be
// readable by its owner only (0600): a secret readable by others is refused.
func readSecret(path string) (string, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return "", err
	}
	if runtime.GOOS != "windows" && fi.Mode().Perm()&0o077 != 0 {
		return "", fmt.Errorf("%s est lisible par d'autres que son propriétaire (droits %o) : chmod 600 %s", path, fi.Mode().Perm(), path)
	}
	if fi.Size() > 4096 {
		return "", fmt.Errorf("%s : trop grand pour un secret", path)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	s := strings.TrimSpace(string(b))
	if s == "" {
		return "", fmt.Errorf("%s est vide", path)
	}
	return s, nil
}
