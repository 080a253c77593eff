package s3store

import "testing"

func TestBefore(t *testing.T) {
	for _, k := range []string{"a/002", "a/00000000000000000010", "a/b\x00", "x"} {
		b := before(k)
		if !(b < k) {
			t.Errorf("before(%q) = %q, not below", k, b)
		}
	}
}
