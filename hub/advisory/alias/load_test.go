package alias

import "testing"

func TestDefaultLoads(t *testing.T) {
	tab, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	if len(tab.Products) < 40 {
		t.Fatalf("only %d products", len(tab.Products))
	}
}
