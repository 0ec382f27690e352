package httpapi

import (
	"strings"
	"testing"
)

// The embedded third-party files are the ones `make playground-assets`
// verified against npm's published integrity and recorded in assets.json:
// a file changed by hand (or a partial refresh) stops the playground from
// starting.
func TestPlaygroundAssetsMatchManifest(t *testing.T) {
	if _, err := Playground(PlaygroundOptions{Endpoint: "/graphql", Transport: Transport{Headers: true, Cookie: DefaultCookieConfig()}}); err != nil {
		t.Fatal(err)
	}
	assets := map[string]asset{}
	for _, name := range []string{"react.production.min.js", "react-dom.production.min.js", "graphiql.min.js", "graphiql.min.css"} {
		b, err := playgroundFiles.ReadFile("playground/assets/" + name)
		if err != nil {
			t.Fatal(err)
		}
		assets[name] = asset{body: b, integrity: "sha384-unexpected"}
	}
	if err := checkManifest(assets); err == nil || !strings.Contains(err.Error(), "make playground-assets") {
		t.Fatalf("a changed file was accepted: %v", err)
	}
}
