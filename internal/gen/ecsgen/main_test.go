package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// reference is the ECS field reference kept in the repository.
var reference = filepath.Join("..", "..", "..", "third_party", "ecs", "fields.csv")

// TestGeneratedTableIsCurrent fails when jsonlog's checked-in table is not
// what the field reference generates: run go generate ./jsonlog.
func TestGeneratedTableIsCurrent(t *testing.T) {
	f, err := os.Open(reference)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	want, err := generate(f, "jsonlog")
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join("..", "..", "..", "jsonlog", "ecsfields_gen.go"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("jsonlog/ecsfields_gen.go is stale: run go generate ./jsonlog")
	}
}

func TestGenerateRejectsWhatItCannotClassify(t *testing.T) {
	for _, tc := range []struct{ name, csv, want string }{
		{"unknown type", "ECS_Version,Field,Type\n1,a.b,binaryish\n", `mapping type "binaryish"`},
		{"one field, two types", "ECS_Version,Field,Type\n1,a,keyword\n1,a,long\n", "listed twice"},
		{"missing column", "ECS_Version,Name,Type\n", "no Field column"},
		{"no fields", "ECS_Version,Field,Type\n", "no fields"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := generate(strings.NewReader(tc.csv), "x")
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestGenerateGroupsFieldsByRoot(t *testing.T) {
	src, err := generate(strings.NewReader("ECS_Version,Field,Type\n9.0,host.os.name,keyword\n9.0,host.ip,ip\n9.0,host.name,keyword\n9.0,host.name.text,match_only_text\n9.0,tags,keyword\n"), "x")
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Join(strings.Fields(string(src)), " ")
	for _, want := range []string{`{"host", ecsIP, "ip"}`, `{"host", ecsKeyword, "name os.name"}`, `{"tags", ecsKeyword, ""}`, `case "host", "tags":`, `ecsFieldsVersion = "9.0"`} {
		if !strings.Contains(text, want) {
			t.Errorf("generated source lacks %s:\n%s", want, src)
		}
	}
	if strings.Contains(text, "name.text") {
		t.Errorf("the multi-field host.name.text is in the table:\n%s", src)
	}
}
