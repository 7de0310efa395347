package report_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// chromium drives a headless Chromium over the DevTools protocol on a pipe
// (--remote-debugging-pipe: NUL-separated JSON on file descriptors 3 and 4),
// so the browser check needs no WebSocket client and no new dependency.
type chromium struct {
	cmd    *exec.Cmd
	in     *os.File // we write commands here (the browser's fd 3)
	mu     sync.Mutex
	nextID int
	wait   map[int]chan cdpMessage
	events chan cdpMessage
	done   chan struct{}
	stderr strings.Builder
}

type cdpMessage struct {
	ID        int             `json:"id,omitempty"`
	Method    string          `json:"method,omitempty"`
	SessionID string          `json:"sessionId,omitempty"`
	Params    json.RawMessage `json:"params,omitempty"`
	Result    json.RawMessage `json:"result,omitempty"`
	Error     *struct {
		Message string `json:"message"`
	} `json:"error,omitempty"`
}

// findChromium returns the browser to run: $CHROMIUM, or the first of the
// usual names on the PATH (Debian's package installs /usr/bin/chromium).
func findChromium() string {
	if p := os.Getenv("CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome-headless-shell", "headless_shell"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// startChromium starts a headless browser, or skips the test (with the
// reason printed) when none is installed; CI installs Debian's chromium.
func startChromium(t *testing.T) *chromium {
	t.Helper()
	bin := findChromium()
	if bin == "" {
		t.Skip("no Chromium found (install Debian's `chromium` package, or set CHROMIUM=/path/to/chrome): browser check skipped")
	}
	toBrowser, browserIn, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	browserOut, fromBrowser, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	c := &chromium{in: browserIn, wait: map[int]chan cdpMessage{}, events: make(chan cdpMessage, 4096), done: make(chan struct{})}
	c.cmd = exec.Command(bin, "--headless", "--no-sandbox", "--disable-gpu", "--remote-debugging-pipe",
		"--user-data-dir="+t.TempDir(), "--no-first-run", "--no-default-browser-check", "--disable-extensions",
		"--disable-background-networking", "--disable-sync", "--disable-component-update", "--mute-audio",
		"--hide-scrollbars", "--window-size=1280,900", "about:blank")
	c.cmd.ExtraFiles = []*os.File{toBrowser, fromBrowser} // fd 3: commands in, fd 4: answers out
	c.cmd.Stderr = &c.stderr
	if err := c.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", bin, err)
	}
	toBrowser.Close()
	fromBrowser.Close()
	go c.read(browserOut)
	t.Cleanup(func() {
		c.send(context.Background(), "", "Browser.close", nil) //nolint:errcheck // best effort; killed below if it hangs
		done := make(chan error, 1)
		go func() { done <- c.cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			c.cmd.Process.Kill()
			<-done
		}
		browserIn.Close()
	})
	return c
}

func (c *chromium) read(r *os.File) {
	defer close(c.done)
	br := bufio.NewReaderSize(r, 1<<20)
	for {
		raw, err := br.ReadBytes(0)
		if err != nil {
			return
		}
		var m cdpMessage
		if json.Unmarshal(raw[:len(raw)-1], &m) != nil {
			continue
		}
		if m.ID != 0 {
			c.mu.Lock()
			ch := c.wait[m.ID]
			delete(c.wait, m.ID)
			c.mu.Unlock()
			if ch != nil {
				ch <- m
			}
			continue
		}
		select {
		case c.events <- m:
		default: // a flood of events we do not read: drop, never block the reader
		}
	}
}

// send runs one command (in a page's session when session is set) and
// returns its result.
func (c *chromium) send(ctx context.Context, session, method string, params any) (json.RawMessage, error) {
	c.mu.Lock()
	c.nextID++
	id := c.nextID
	ch := make(chan cdpMessage, 1)
	c.wait[id] = ch
	c.mu.Unlock()
	msg, err := json.Marshal(map[string]any{"id": id, "method": method, "params": params, "sessionId": session})
	if err != nil {
		return nil, err
	}
	if session == "" {
		msg, _ = json.Marshal(map[string]any{"id": id, "method": method, "params": params})
	}
	if _, err := c.in.Write(append(msg, 0)); err != nil {
		return nil, fmt.Errorf("%s: %w", method, err)
	}
	select {
	case m := <-ch:
		if m.Error != nil {
			return nil, fmt.Errorf("%s: %s", method, m.Error.Message)
		}
		return m.Result, nil
	case <-c.done:
		return nil, fmt.Errorf("%s: the browser exited: %s", method, c.stderr.String())
	case <-ctx.Done():
		return nil, fmt.Errorf("%s: %w", method, ctx.Err())
	}
}

// pageCheck is what loading one page found.
type pageCheck struct {
	// Errors are console errors, uncaught exceptions and error log entries
	// (a blocked request, a CSP violation, a failed load).
	Errors []string
	// Result is the value of the check expression (JSON).
	Result string
	// Screenshot is a PNG of the whole page.
	Screenshot []byte
}

// check opens file in a new tab, waits for it to load, evaluates expr and
// collects every error the page logged.
func (c *chromium) check(ctx context.Context, file, expr string, width int) (*pageCheck, error) {
	abs, err := filepath.Abs(file)
	if err != nil {
		return nil, err
	}
	var target struct {
		TargetID string `json:"targetId"`
	}
	res, err := c.send(ctx, "", "Target.createTarget", map[string]any{"url": "about:blank"})
	if err != nil || json.Unmarshal(res, &target) != nil {
		return nil, fmt.Errorf("open a tab: %v", err)
	}
	var attached struct {
		SessionID string `json:"sessionId"`
	}
	res, err = c.send(ctx, "", "Target.attachToTarget", map[string]any{"targetId": target.TargetID, "flatten": true})
	if err != nil || json.Unmarshal(res, &attached) != nil {
		return nil, fmt.Errorf("attach to the tab: %v", err)
	}
	s := attached.SessionID
	for _, m := range []string{"Runtime.enable", "Log.enable", "Page.enable"} {
		if _, err := c.send(ctx, s, m, nil); err != nil {
			return nil, err
		}
	}
	if _, err := c.send(ctx, s, "Emulation.setDeviceMetricsOverride", map[string]any{"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": false}); err != nil {
		return nil, err
	}
	if _, err := c.send(ctx, s, "Page.navigate", map[string]any{"url": "file://" + abs}); err != nil {
		return nil, err
	}
	out := &pageCheck{}
	loaded := false
	for !loaded {
		select {
		case m := <-c.events:
			if m.SessionID != s {
				continue
			}
			if m.Method == "Page.loadEventFired" {
				loaded = true
			}
			out.Errors = append(out.Errors, pageErrors(m)...)
		case <-ctx.Done():
			return nil, fmt.Errorf("load %s: %w", file, ctx.Err())
		case <-c.done:
			return nil, fmt.Errorf("the browser exited: %s", c.stderr.String())
		}
	}
	res, err = c.send(ctx, s, "Runtime.evaluate", map[string]any{"expression": expr, "returnByValue": true})
	if err != nil {
		return nil, err
	}
	var ev struct {
		Result struct {
			Value any `json:"value"`
		} `json:"result"`
		ExceptionDetails *struct {
			Text string `json:"text"`
		} `json:"exceptionDetails"`
	}
	if err := json.Unmarshal(res, &ev); err != nil {
		return nil, err
	}
	if ev.ExceptionDetails != nil {
		return nil, fmt.Errorf("check expression: %s", ev.ExceptionDetails.Text)
	}
	out.Result = fmt.Sprint(ev.Result.Value)
	res, err = c.send(ctx, s, "Page.captureScreenshot", map[string]any{"format": "png", "captureBeyondViewport": true})
	if err == nil {
		var shot struct {
			Data []byte `json:"data"`
		}
		if json.Unmarshal(res, &shot) == nil {
			out.Screenshot = shot.Data
		}
	}
	// Late errors (a resource that failed after load) arrive as events too.
	for {
		select {
		case m := <-c.events:
			if m.SessionID == s {
				out.Errors = append(out.Errors, pageErrors(m)...)
			}
			continue
		case <-time.After(200 * time.Millisecond):
		}
		break
	}
	c.send(ctx, "", "Target.closeTarget", map[string]any{"targetId": target.TargetID}) //nolint:errcheck // the browser closes at cleanup anyway
	return out, nil
}

// pageErrors returns the errors an event reports, if any.
func pageErrors(m cdpMessage) []string {
	switch m.Method {
	case "Runtime.consoleAPICalled":
		var p struct {
			Type string `json:"type"`
			Args []struct {
				Value       any    `json:"value"`
				Description string `json:"description"`
			} `json:"args"`
		}
		json.Unmarshal(m.Params, &p)
		if p.Type != "error" && p.Type != "assert" {
			return nil
		}
		var parts []string
		for _, a := range p.Args {
			if a.Value != nil {
				parts = append(parts, fmt.Sprint(a.Value))
			} else {
				parts = append(parts, a.Description)
			}
		}
		return []string{"console." + p.Type + ": " + strings.Join(parts, " ")}
	case "Runtime.exceptionThrown":
		var p struct {
			ExceptionDetails struct {
				Text      string `json:"text"`
				Exception struct {
					Description string `json:"description"`
				} `json:"exception"`
			} `json:"exceptionDetails"`
		}
		json.Unmarshal(m.Params, &p)
		return []string{"exception: " + p.ExceptionDetails.Text + " " + p.ExceptionDetails.Exception.Description}
	case "Log.entryAdded":
		var p struct {
			Entry struct {
				Level  string `json:"level"`
				Source string `json:"source"`
				Text   string `json:"text"`
				URL    string `json:"url"`
			} `json:"entry"`
		}
		json.Unmarshal(m.Params, &p)
		if p.Entry.Level == "error" {
			return []string{fmt.Sprintf("log (%s): %s %s", p.Entry.Source, p.Entry.Text, p.Entry.URL)}
		}
	}
	return nil
}
