package main

import (
	"os"
	"path/filepath"
	"testing"
)

func TestWithoutProtocVersion(t *testing.T) {
	a := "// versions:\n// \tprotoc-gen-go v1.36.12\n// \tprotoc        v3.21.12\n// source: addsvc.proto\n"
	b := "// versions:\n// \tprotoc-gen-go v1.36.12\n// \tprotoc        v5.29.3\n// source: addsvc.proto\n"
	grpcA := "// - protoc-gen-go-grpc v1.6.2\n// - protoc             v3.21.12\n"
	grpcB := "// - protoc-gen-go-grpc v1.6.2\n// - protoc             (unknown)\n"
	if string(withoutProtocVersion([]byte(a))) != string(withoutProtocVersion([]byte(b))) {
		t.Error("protoc's version makes a difference in the protobuf code")
	}
	if string(withoutProtocVersion([]byte(grpcA))) != string(withoutProtocVersion([]byte(grpcB))) {
		t.Error("protoc's version makes a difference in the gRPC code")
	}
	plugin := "// - protoc-gen-go-grpc v1.6.3\n// - protoc             v3.21.12\n"
	if string(withoutProtocVersion([]byte(grpcA))) == string(withoutProtocVersion([]byte(plugin))) {
		t.Error("a plugin's version makes no difference")
	}
}

func TestModulePath(t *testing.T) {
	path := filepath.Join(t.TempDir(), "go.mod")
	if err := os.WriteFile(path, []byte("// comment\nmodule github.com/gokit-workshop/workshop/step06-transports\n\ngo 1.26.0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := modulePath(path)
	if err != nil || got != "github.com/gokit-workshop/workshop/step06-transports" {
		t.Errorf("modulePath = %q, %v", got, err)
	}
}
