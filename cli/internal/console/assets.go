package console

import (
	"embed"
	"io/fs"
	"net/http"
)

//go:embed web
var web embed.FS

// Assets are the console's browser files (index.html, app.css, js/, i18n/).
func Assets() fs.FS {
	sub, _ := fs.Sub(web, "web") // "web" is embedded above: Sub cannot fail
	return sub
}

// assets serves the embedded files; any path that is not a file is the application's page,
// so the browser's own routes (#/...) and reloads work.
func assets() http.Handler {
	files := http.FileServerFS(Assets())
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-cache")
		files.ServeHTTP(w, r)
	})
}
