package state

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"
)

func TestEachValueListsEveryValueInOrder(t *testing.T) {
	ctx := context.Background()
	db, err := Open(filepath.Join(t.TempDir(), "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	tx, err := db.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	for _, v := range []struct{ owner, key string }{{"lib", "b"}, {"charm", "z"}, {"lib", "a"}} {
		if err := tx.Set(ctx, v.owner, v.key, map[string]int{v.key: 1}); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	err = tx.EachValue(ctx, func(owner, key string, value json.RawMessage) error {
		got = append(got, owner+"/"+key+"="+string(value))
		return nil
	})
	want := []string{`charm/z={"z":1}`, `lib/a={"a":1}`, `lib/b={"b":1}`}
	if err != nil || len(got) != 3 || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
		t.Fatalf("EachValue: %q, %v; want %q", got, err, want)
	}
}
