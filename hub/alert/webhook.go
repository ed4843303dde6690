package alert

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/vigie-cyber/vigie/hub/store"
)

// WebhookConfig is a webhook from the configuration file.
type WebhookConfig struct {
	URL    string
	Secret string // whsec_ + base64
	Events []string
}

// SecretPrefix starts every Standard Webhooks secret.
const SecretPrefix = "whsec_"

// DecodeSecret returns the key of a Standard Webhooks secret: "whsec_"
// followed by the base64 of 24 to 64 random bytes.
func DecodeSecret(s string) ([]byte, error) {
	rest, ok := strings.CutPrefix(strings.TrimSpace(s), SecretPrefix)
	if !ok {
		return nil, errors.New("secret de webhook : « whsec_ » suivi de base64 attendu")
	}
	key, err := base64.StdEncoding.DecodeString(rest)
	if err != nil {
		return nil, fmt.Errorf("secret de webhook : base64 invalide : %w", err)
	}
	if len(key) < 24 || len(key) > 64 {
		return nil, fmt.Errorf("secret de webhook : %d octets, de 24 à 64 attendus", len(key))
	}
	return key, nil
}

// NewSecret makes a Standard Webhooks secret of 32 random bytes.
func NewSecret() string {
	var b [32]byte
	rand.Read(b[:])
	return SecretPrefix + base64.StdEncoding.EncodeToString(b[:])
}

// CheckWebhookURL accepts an https:// URL, or http:// to a loopback
// address only (a local relay, tests): an alert never crosses a network
// in clear.
func CheckWebhookURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.User != nil || u.Fragment != "" || len(raw) > 2000 {
		return fmt.Errorf("adresse de webhook %q invalide", raw)
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		if isLoopback(u.Hostname()) {
			return nil
		}
		return fmt.Errorf("adresse de webhook %q : https:// exigé (http:// seulement vers l'adresse de bouclage)", raw)
	}
	return fmt.Errorf("adresse de webhook %q : https:// attendu", raw)
}

// Sign returns the Standard Webhooks signature header of a message:
// "v1," then the base64 of HMAC-SHA256(key, id "." timestamp "." body).
func Sign(key []byte, id string, ts time.Time, body []byte) string {
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(id + "." + strconv.FormatInt(ts.Unix(), 10) + "."))
	mac.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// Verify checks a Standard Webhooks message as a receiver does: one of the
// space-separated v1 signatures matches (constant-time) and the timestamp
// is within tolerance of now.
func Verify(secret string, id, timestamp, signatures string, body []byte, now time.Time, tolerance time.Duration) error {
	key, err := DecodeSecret(secret)
	if err != nil {
		return err
	}
	sec, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return errors.New("webhook-timestamp invalide")
	}
	ts := time.Unix(sec, 0)
	if d := now.Sub(ts); d > tolerance || d < -tolerance {
		return errors.New("webhook-timestamp hors de la tolérance")
	}
	want := []byte(Sign(key, id, ts, body))
	for _, s := range strings.Fields(signatures) {
		if hmac.Equal([]byte(s), want) {
			return nil
		}
	}
	return errors.New("aucune signature valide")
}

// maxReply bounds what is read of a webhook's reply (for the log).
const maxReply = 4 << 10

// postWebhook sends one signed message; any 2xx acknowledges it, 410 Gone
// refuses it for good, anything else is retried.
func (e *Engine) postWebhook(ctx context.Context, h *hook, d store.Delivery, m *message) error {
	if err := CheckWebhookURL(h.URL); err != nil {
		return errPermanent{err}
	}
	key, err := DecodeSecret(h.Secret)
	if err != nil {
		return errPermanent{err}
	}
	ts := e.cfg.Now()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.URL, bytes.NewReader(m.JSON))
	if err != nil {
		return errPermanent{err}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "vigie-hub")
	req.Header.Set("webhook-id", d.MsgID)
	req.Header.Set("webhook-timestamp", strconv.FormatInt(ts.Unix(), 10))
	req.Header.Set("webhook-signature", Sign(key, d.MsgID, ts, m.JSON))
	resp, err := e.cfg.HTTPClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	reply, _ := io.ReadAll(io.LimitReader(resp.Body, maxReply))
	status := fmt.Sprintf("HTTP %d", resp.StatusCode)
	if s := strings.TrimSpace(string(reply)); s != "" {
		status += " " + s[:min(len(s), 200)]
	}
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		m.ack = status
		return nil
	case resp.StatusCode == http.StatusGone:
		return errPermanent{errors.New(status)}
	}
	return errors.New(status)
}
