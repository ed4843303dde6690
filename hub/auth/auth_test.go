package auth

import (
	"strings"
	"testing"
)

func TestHashCheck(t *testing.T) {
	t.Parallel()
	h, err := Hash("correct horse battery", Fast)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=64,t=1,p=1$") {
		t.Errorf("hash %q", h)
	}
	if ok, err := Check(h, "correct horse battery"); !ok || err != nil {
		t.Errorf("right password refused: %v", err)
	}
	if ok, _ := Check(h, "correct horse batterY"); ok {
		t.Error("wrong password accepted")
	}
	h2, _ := Hash("correct horse battery", Fast)
	if h == h2 {
		t.Error("same salt twice")
	}
	for _, bad := range []string{"", "$argon2i$v=19$m=64,t=1,p=1$c2FsdA$a2V5", "$argon2id$v=19$m=64,t=0,p=1$c2FsdA$a2V5", "$argon2id$v=19$m=64,t=1,p=1$!!$a2V5"} {
		if _, err := Check(bad, "x"); err == nil {
			t.Errorf("Check(%q) accepted", bad)
		}
	}
	if CheckStrength("court") == nil || CheckStrength("une phrase assez longue") != nil {
		t.Error("CheckStrength")
	}
}
