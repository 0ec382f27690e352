package httpapi

import (
	"bytes"
	"crypto/sha512"
	"embed"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"
)

// The playground is GraphiQL served entirely from the binary: the page,
// our script, and React, ReactDOM and GraphiQL as published on npm
// (playground/assets.json pins them; `make playground-assets` refreshes
// them, checked against npm's published integrity). It works with no
// network and under a CSP that allows only 'self'.
//
//go:embed playground/index.html playground/assets.json playground/assets
var playgroundFiles embed.FS

// PlaygroundAssetsPath is where the playground's scripts and styles are
// served.
const PlaygroundAssetsPath = "/playground/assets/"

// PlaygroundOptions configure the playground page.
type PlaygroundOptions struct {
	Title    string
	Endpoint string // the GraphQL endpoint's path, e.g. /graphql
	// Transport says how the page's fetcher carries credentials: the CSRF
	// cookie's value in the CSRF header (cookies), the access token of the
	// last login/register/refresh answer as a bearer token (headers).
	Transport Transport
}

// asset is one embedded file, with its SRI hash (also its ETag).
type asset struct {
	body      []byte
	integrity string
}

// pageAsset is a <script> or <link> of the page.
type pageAsset struct{ URL, Integrity string }

// Playground returns the handler of GET / (the page) and of GET
// PlaygroundAssetsPath... (its files).
func Playground(opts PlaygroundOptions) (http.Handler, error) {
	assets := map[string]asset{}
	dir, _ := fs.Sub(playgroundFiles, "playground/assets")
	err := fs.WalkDir(dir, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(dir, name)
		if err != nil {
			return err
		}
		sum := sha512.Sum384(b)
		assets[name] = asset{body: b, integrity: "sha384-" + base64.StdEncoding.EncodeToString(sum[:])}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if err := checkManifest(assets); err != nil {
		return nil, err
	}
	tmpl, err := template.ParseFS(playgroundFiles, "playground/index.html")
	if err != nil {
		return nil, err
	}
	link := func(name string) pageAsset {
		return pageAsset{URL: PlaygroundAssetsPath + name, Integrity: assets[name].integrity}
	}
	var page bytes.Buffer
	err = tmpl.Execute(&page, map[string]any{
		"Title": opts.Title, "Endpoint": opts.Endpoint,
		"Headers": strconv.FormatBool(opts.Transport.Headers), "Cookies": strconv.FormatBool(opts.Transport.Cookies),
		"CSRFCookie": opts.Transport.Cookie.CSRFName, "CSRFHeader": opts.Transport.Cookie.CSRFHeader,
		"Styles": []pageAsset{link("graphiql.min.css"), link("playground.css")},
		"Scripts": []pageAsset{link("react.production.min.js"), link("react-dom.production.min.js"),
			link("graphiql.min.js"), link("playground.js")},
	})
	if err != nil {
		return nil, err
	}
	html := page.Bytes()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/" {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.Header().Set("Cache-Control", "no-cache")
			_, _ = w.Write(html)
			return
		}
		name, ok := strings.CutPrefix(r.URL.Path, PlaygroundAssetsPath)
		a, found := assets[name]
		if !ok || !found {
			http.NotFound(w, r)
			return
		}
		// Revalidated each time (a 304 by ETag): a new binary may pin new files.
		w.Header().Set("Cache-Control", "no-cache")
		w.Header().Set("ETag", strconv.Quote(a.integrity))
		http.ServeContent(w, r, path.Base(name), time.Time{}, bytes.NewReader(a.body))
	}), nil
}

// playgroundManifest is playground/assets.json: each third-party file's
// SHA-384 as refresh.mjs wrote it from the npm tarball it verified.
type playgroundManifest struct {
	Packages []struct {
		Name, Version string
		SHA384        map[string]string `json:"sha384"`
	}
}

// checkManifest refuses embedded third-party files that differ from what
// the refresh verified (an edit by hand, a partial refresh).
func checkManifest(assets map[string]asset) error {
	raw, err := playgroundFiles.ReadFile("playground/assets.json")
	if err != nil {
		return err
	}
	var m playgroundManifest
	if err := json.Unmarshal(raw, &m); err != nil {
		return fmt.Errorf("playground/assets.json: %w", err)
	}
	for _, p := range m.Packages {
		for name, want := range p.SHA384 {
			if got := assets[name].integrity; got != want {
				return fmt.Errorf("playground asset %s (%s@%s) is %q, assets.json says %q: run make playground-assets", name, p.Name, p.Version, got, want)
			}
		}
	}
	return nil
}
