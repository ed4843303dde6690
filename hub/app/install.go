package app

import (
	"fmt"
	"net"
	"strings"
	"time"
)

// InstallCommand is the command an entity's IT staff run to install the
// agent and enrol it with this hub: the hub's public address, the one-time
// token and the fingerprint (SPKI SHA-256) the agent pins. Given with a new
// token, so that nothing has to be copied from elsewhere.
func InstallCommand(hubURL, token, fingerprint string) string {
	return fmt.Sprintf("vigie install --hub %s --token %s --fingerprint %s", hubURL, token, fingerprint)
}

// PublicURL is the hub's address for agents: configured when the hub has
// one (serve --public-url), else derived: https:// and host (a request's
// Host header, which carries its port; or the machine's name, with listen
// giving the port), the port left out when 443.
func PublicURL(configured, host, listen string) string {
	if configured != "" {
		return strings.TrimRight(configured, "/")
	}
	h, p, err := net.SplitHostPort(host)
	if err != nil {
		h, p = strings.Trim(host, "[]"), ""
		if _, lp, err := net.SplitHostPort(listen); err == nil {
			p = lp
		}
	}
	if p == "" || p == "443" {
		if strings.Contains(h, ":") {
			return "https://[" + h + "]"
		}
		return "https://" + h
	}
	return "https://" + net.JoinHostPort(h, p)
}

// DurationWords says a duration as people do ("3 jours", "36 heures",
// "1 jour", "90 minutes"), in lang (fr, en): whole days when it is a
// multiple of a day, else whole hours, else minutes.
func DurationWords(d time.Duration, lang string) string {
	unit := func(n int64, fr, frs, en, ens string) string {
		w := map[bool][2]string{true: {fr, en}, false: {frs, ens}}[n == 1]
		if lang == "en" {
			return fmt.Sprintf("%d %s", n, w[1])
		}
		return fmt.Sprintf("%d %s", n, w[0])
	}
	switch {
	case d > 0 && d%(24*time.Hour) == 0:
		return unit(int64(d/(24*time.Hour)), "jour", "jours", "day", "days")
	case d >= time.Hour && d%time.Hour == 0:
		return unit(int64(d/time.Hour), "heure", "heures", "hour", "hours")
	case d >= time.Minute && d%time.Minute == 0:
		return unit(int64(d/time.Minute), "minute", "minutes", "minute", "minutes")
	}
	return unit(int64(d.Round(time.Second)/time.Second), "seconde", "secondes", "second", "seconds")
}
