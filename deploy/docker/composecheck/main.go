// Command composecheck loads docker-compose.yml the way `docker compose` does and parses
// every Dockerfile it builds, so the deployment files can be checked without a Docker engine.
//
// It uses the compose-spec loader (schema validation, interpolation, merge keys, the
// consistency checks behind `depends_on`) and BuildKit's Dockerfile parser. On success it
// prints one JSON document:
//
//	{"project": <normalized compose model>,
//	 "dockerfiles": {"<service>": {"path": ..., "instructions": [...], "warnings": [...]}}}
//
// On any error it prints the error to stderr and exits 1. Variables come from this
// process's environment only: no .env file is read, so a caller controls them exactly.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
	"github.com/moby/buildkit/frontend/dockerfile/command"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
)

type instruction struct {
	Name  string   `json:"name"`  // lower-case keyword: from, run, cmd, ...
	Args  []string `json:"args"`  // arguments; one element per JSON array item in exec form
	Flags []string `json:"flags"` // e.g. --from=build
	JSON  bool     `json:"json"`  // true when written in exec (JSON array) form
	Line  int      `json:"line"`
}

type dockerfile struct {
	Path         string        `json:"path"`
	Instructions []instruction `json:"instructions"`
	Warnings     []string      `json:"warnings"`
}

type report struct {
	Project     json.RawMessage       `json:"project"`
	Dockerfiles map[string]dockerfile `json:"dockerfiles"`
}

func main() {
	file := flag.String("f", "docker-compose.yml", "compose file to load")
	flag.Parse()
	if err := run(*file); err != nil {
		fmt.Fprintln(os.Stderr, "composecheck:", err)
		os.Exit(1)
	}
}

func run(file string) error {
	project, err := loadProject(file)
	if err != nil {
		return err
	}
	model, err := project.MarshalJSON()
	if err != nil {
		return err
	}
	out := report{Project: model, Dockerfiles: map[string]dockerfile{}}
	names := project.ServiceNames()
	sort.Strings(names)
	for _, name := range names {
		build := project.Services[name].Build
		if build == nil {
			continue
		}
		path := build.Dockerfile
		if !filepath.IsAbs(path) {
			path = filepath.Join(build.Context, path)
		}
		parsed, err := parseDockerfile(path)
		if err != nil {
			return fmt.Errorf("service %q: %w", name, err)
		}
		out.Dockerfiles[name] = parsed
	}
	encoder := json.NewEncoder(os.Stdout)
	encoder.SetIndent("", "  ")
	return encoder.Encode(out)
}

func loadProject(file string) (*types.Project, error) {
	abs, err := filepath.Abs(file)
	if err != nil {
		return nil, err
	}
	options, err := cli.NewProjectOptions(
		[]string{abs},
		cli.WithOsEnv,
		cli.WithWorkingDirectory(filepath.Dir(abs)),
		cli.WithInterpolation(true),
		cli.WithNormalization(true),
		cli.WithConsistency(true),
		cli.WithResolvedPaths(true),
	)
	if err != nil {
		return nil, err
	}
	return options.LoadProject(context.Background())
}

func parseDockerfile(path string) (dockerfile, error) {
	result := dockerfile{Path: path, Instructions: []instruction{}, Warnings: []string{}}
	f, err := os.Open(path)
	if err != nil {
		return result, err
	}
	defer f.Close()
	parsed, err := parser.Parse(f)
	if err != nil {
		return result, fmt.Errorf("%s: %w", path, err)
	}
	for _, w := range parsed.Warnings {
		text := w.Short
		for _, detail := range w.Detail {
			text += " " + string(detail)
		}
		result.Warnings = append(result.Warnings, text)
	}
	for _, node := range parsed.AST.Children {
		name := strings.ToLower(node.Value)
		if _, known := command.Commands[name]; !known {
			return result, fmt.Errorf("%s:%d: unknown instruction %q", path, node.StartLine, node.Value)
		}
		args := []string{}
		for arg := node.Next; arg != nil; arg = arg.Next {
			args = append(args, arg.Value)
		}
		flags := node.Flags
		if flags == nil {
			flags = []string{}
		}
		result.Instructions = append(result.Instructions, instruction{
			Name: name, Args: args, Flags: flags, JSON: node.Attributes["json"], Line: node.StartLine,
		})
	}
	if len(result.Instructions) == 0 {
		return result, errors.New(path + ": no instructions")
	}
	return result, nil
}
