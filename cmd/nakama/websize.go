package main

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"sort"
	"strings"
)

// wasmBudget is the most the browser player may weigh, gzipped (gzip -9).
const wasmBudget = 2_500_000

// wasmReport is what a wasm module weighs and what its code is made of.
type wasmReport struct {
	// Size and Gzipped are the module's size, raw and gzip -9, without its
	// name section (as -ldflags=-s would build it).
	Size, Gzipped int
	// Code and Data are the sizes of the code and data sections.
	Code, Data int
	// Packages is the code's size by Go package, largest first.
	Packages []pkgSize
	// module is the module without its name section, as served.
	module []byte
}

type pkgSize struct {
	Pkg  string
	Code int
}

// wasmSections walks a module's sections, calling f with each one's id and
// contents.
func wasmSections(b []byte, f func(id byte, sec []byte) error) error {
	if len(b) < 8 || string(b[:4]) != "\x00asm" {
		return errors.New("not a wasm module")
	}
	b = b[8:]
	for len(b) > 0 {
		id := b[0]
		n, sz, err := uleb(b[1:])
		if err != nil || uint64(len(b)-1-sz) < n {
			return errors.New("truncated wasm section")
		}
		if err := f(id, b[1+sz:1+sz+int(n)]); err != nil {
			return err
		}
		b = b[1+sz+int(n):]
	}
	return nil
}

func uleb(b []byte) (uint64, int, error) {
	v, n := binary.Uvarint(b)
	if n <= 0 {
		return 0, 0, errors.New("bad LEB128 number")
	}
	return v, n, nil
}

// readName reads a length-prefixed string.
func readName(b []byte) (string, []byte, error) {
	n, sz, err := uleb(b)
	if err != nil || uint64(len(b)-sz) < n {
		return "", nil, errors.New("truncated wasm name")
	}
	return string(b[sz : sz+int(n)]), b[sz+int(n):], nil
}

// analyzeWasm measures a module built with its name section (no -s), which
// names every function; the sizes are those of the module without it.
func analyzeWasm(module []byte) (*wasmReport, error) {
	var stripped bytes.Buffer
	stripped.Write(module[:8])
	var imports int
	var bodies []int
	names := map[int]string{}
	r := &wasmReport{}
	err := wasmSections(module, func(id byte, sec []byte) error {
		if id == 0 {
			name, rest, err := readName(sec)
			if err != nil {
				return err
			}
			if name == "name" {
				return parseFuncNames(rest, names)
			}
		}
		// Keep the section, header and all, in the stripped module.
		stripped.WriteByte(id)
		stripped.Write(binary.AppendUvarint(nil, uint64(len(sec))))
		stripped.Write(sec)
		switch id {
		case 2: // imports: functions among them come first in the index space
			n, sz, err := uleb(sec)
			if err != nil {
				return err
			}
			p := sec[sz:]
			for range n {
				for range 2 { // module and field names
					if _, p, err = readName(p); err != nil {
						return err
					}
				}
				if len(p) < 1 || p[0] != 0 {
					return errors.New("wasm import other than a function")
				}
				_, sz, err := uleb(p[1:])
				if err != nil {
					return err
				}
				p = p[1+sz:]
				imports++
			}
		case 10: // code
			r.Code = len(sec)
			n, sz, err := uleb(sec)
			if err != nil {
				return err
			}
			p := sec[sz:]
			for range n {
				l, sz, err := uleb(p)
				if err != nil || uint64(len(p)-sz) < l {
					return errors.New("truncated wasm function")
				}
				bodies = append(bodies, sz+int(l))
				p = p[sz+int(l):]
			}
		case 11: // data
			r.Data = len(sec)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	byPkg := map[string]int{}
	for i, n := range bodies {
		byPkg[wasmPackage(names[imports+i])] += n
	}
	for p, n := range byPkg {
		r.Packages = append(r.Packages, pkgSize{p, n})
	}
	sort.Slice(r.Packages, func(i, j int) bool { return r.Packages[i].Code > r.Packages[j].Code })

	r.module = stripped.Bytes()
	r.Size = stripped.Len()
	r.Gzipped = gzipSize(r.module)
	return r, nil
}

// gzipSize is the size of b compressed by gzip -9, or, without a gzip
// command, by compress/gzip at its best, which compresses a little less.
func gzipSize(b []byte) int {
	cmd := exec.Command("gzip", "-9", "-c")
	cmd.Stdin = bytes.NewReader(b)
	if out, err := cmd.Output(); err == nil {
		return len(out)
	}
	var gz bytes.Buffer
	w, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
	w.Write(b)
	w.Close()
	return gz.Len()
}

// parseFuncNames reads the function names of a name section.
func parseFuncNames(b []byte, names map[int]string) error {
	for len(b) > 0 {
		sub := b[0]
		n, sz, err := uleb(b[1:])
		if err != nil || uint64(len(b)-1-sz) < n {
			return errors.New("truncated wasm name section")
		}
		p := b[1+sz : 1+sz+int(n)]
		b = b[1+sz+int(n):]
		if sub != 1 {
			continue
		}
		cnt, sz, err := uleb(p)
		if err != nil {
			return err
		}
		p = p[sz:]
		for range cnt {
			idx, sz, err := uleb(p)
			if err != nil {
				return err
			}
			var name string
			if name, p, err = readName(p[sz:]); err != nil {
				return err
			}
			names[int(idx)] = name
		}
	}
	return nil
}

// wasmPackage returns the package of a function as the Go linker names it
// in wasm, where the path's slashes are underscores:
// "github.com_gonakama_nakama.(*RESTAdapter).Send" is in
// "github.com/gonakama/nakama".
func wasmPackage(fn string) string {
	host := 0
	for _, h := range []string{"github.com_", "google.golang.org_", "golang.org_", "go.uber.org_"} {
		if strings.HasPrefix(fn, h) {
			host = len(h)
		}
	}
	pkg := fn
	if i := strings.IndexByte(fn[host:], '.'); i >= 0 {
		pkg = fn[:host+i]
	}
	if strings.HasPrefix(pkg, "type_") || pkg == "" {
		return "(types)"
	}
	// Underscores stand for slashes; the known module paths are spelled
	// back, the rest left as the linker wrote them.
	for _, m := range []string{"github.com_gonakama_nakama", "github.com_heroiclabs_nakama_common", "google.golang.org_protobuf"} {
		if strings.HasPrefix(pkg, m) {
			mod := strings.ReplaceAll(strings.Replace(m, "nakama_common", "nakama-common", 1), "_", "/")
			return mod + strings.ReplaceAll(pkg[len(m):], "_", "/")
		}
	}
	return strings.ReplaceAll(pkg, "_", "/")
}

// group says which part of a program a package belongs to.
func group(pkg string) string {
	switch {
	case strings.HasPrefix(pkg, "github.com/gonakama/nakama"):
		return "gonakama"
	case strings.HasPrefix(pkg, "github.com/heroiclabs/nakama-common"):
		return "nakama-common api, rtapi"
	case strings.HasPrefix(pkg, "google.golang.org/protobuf"):
		return "protobuf"
	case strings.HasPrefix(pkg, "main"):
		return "the player (main)"
	}
	return "Go runtime and standard library"
}

// print writes the report: the totals, the code by part, then the largest
// packages.
func (r *wasmReport) print(w io.Writer, top int) {
	fmt.Fprintf(w, "player.wasm: %.2f MB, %.2f MB gzipped (gzip -9; budget %.2f MB)\n",
		float64(r.Size)/1e6, float64(r.Gzipped)/1e6, float64(wasmBudget)/1e6)
	fmt.Fprintf(w, "  code %.2f MB, data %.2f MB\n", float64(r.Code)/1e6, float64(r.Data)/1e6)
	groups := map[string]int{}
	for _, p := range r.Packages {
		groups[group(p.Pkg)] += p.Code
	}
	var gs []pkgSize
	for g, n := range groups {
		gs = append(gs, pkgSize{g, n})
	}
	sort.Slice(gs, func(i, j int) bool { return gs[i].Code > gs[j].Code })
	fmt.Fprintln(w, "  code by part:")
	for _, g := range gs {
		fmt.Fprintf(w, "    %8d  %4.1f%%  %s\n", g.Code, 100*float64(g.Code)/float64(r.Code), g.Pkg)
	}
	fmt.Fprintf(w, "  largest packages (code bytes):\n")
	for i, p := range r.Packages {
		if i == top {
			break
		}
		fmt.Fprintf(w, "    %8d  %s\n", p.Code, p.Pkg)
	}
}
