package report

import (
	_ "embed"
	"html/template"
	"io"
	"strings"
)

//go:embed report.tmpl
var pageTemplate string

//go:embed report.css
var pageCSS string

var tmpl = template.Must(template.New("report").Funcs(template.FuncMap{
	"px":  px,
	"mid": func(a, b float64) float64 { return a + b/2 },
	"wbr": wbr,
}).Parse(pageTemplate))

// wbr escapes s and lets a line break after each dot, underscore and slash:
// a table name such as sustainability_tech_deployment.labels@2 is one word
// to the browser, which, too long for a narrow card, would otherwise keep
// it whole and overflow or (overflow-wrap) cut it anywhere, mid-word.
func wbr(s string) template.HTML {
	var b strings.Builder
	for _, r := range s {
		b.WriteString(template.HTMLEscapeString(string(r)))
		if r == '.' || r == '_' || r == '/' {
			b.WriteString("<wbr>")
		}
	}
	return template.HTML(b.String()) //nolint:gosec // every rune of s is escaped above
}

// Write renders the page as one self-contained HTML document: the styles
// are inline, the charts inline SVG, and a Content-Security-Policy forbids
// any request, so the file reads the same offline, mailed or archived.
func (p *Page) Write(w io.Writer) error {
	return tmpl.Execute(w, struct {
		Page      *Page
		Title     string
		Generated string
		// CSS is the package's own stylesheet, a constant: safe to inline.
		CSS template.CSS
	}{p, p.Title, p.Data.Generated.Format("2006-01-02 15:04:05"), template.CSS(pageCSS)})
}
