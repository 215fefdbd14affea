package mcp

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"
)

// CallsFile is the file of an evidence folder that records the MCP calls
// that made or read it, one JSON object a line.
const CallsFile = "mcp-calls.jsonl"

// Call is one MCP tool call as the server log and the evidence record it.
type Call struct {
	Time     time.Time `json:"time"`
	Session  string    `json:"session"`
	Client   string    `json:"client,omitempty"`
	Tool     string    `json:"tool"`
	Args     any       `json:"arguments,omitempty"`
	IsError  bool      `json:"isError"`
	Result   any       `json:"result,omitempty"`
	Error    string    `json:"error,omitempty"`
	Duration string    `json:"duration"`
}

// callLog writes every tool call to the server log and to the evidence
// folder its result names, masked.
type callLog struct {
	w    io.Writer
	mask *masker
	now  func() time.Time
	root string // evidence root: only folders under it are written

	mu       sync.Mutex
	sessions map[*sdk.ServerSession]string
}

func (l *callLog) session(ss *sdk.ServerSession) string {
	if ss == nil {
		return ""
	}
	if id := ss.ID(); id != "" {
		return id
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.sessions == nil {
		l.sessions = map[*sdk.ServerSession]string{}
	}
	id, ok := l.sessions[ss]
	if !ok {
		id = fmt.Sprintf("stdio-%d-%s", os.Getpid(), randomToken(5))
		l.sessions[ss] = id
	}
	return id
}

// middleware records each tools/call and masks its result.
func (l *callLog) middleware(next sdk.MethodHandler) sdk.MethodHandler {
	return func(ctx context.Context, method string, req sdk.Request) (sdk.Result, error) {
		if method != "tools/call" {
			return next(ctx, method, req)
		}
		start := l.now()
		res, err := next(ctx, method, req)
		r, _ := res.(*sdk.CallToolResult)
		l.mask.result(r)
		c := Call{Time: start, Duration: l.now().Sub(start).Round(time.Millisecond).String()}
		if cr, ok := req.(*sdk.CallToolRequest); ok {
			c.Session = l.session(cr.Session)
			if ip := cr.Session.InitializeParams(); ip != nil && ip.ClientInfo != nil {
				c.Client = ip.ClientInfo.Name + " " + ip.ClientInfo.Version
			}
			if cr.Params != nil {
				c.Tool = cr.Params.Name
				c.Args = l.raw(cr.Params.Arguments)
			}
		}
		if err != nil {
			c.Error = l.mask.String(err.Error())
		}
		if r != nil {
			c.IsError = r.IsError
			if r.StructuredContent != nil {
				c.Result = r.StructuredContent
			} else if len(r.Content) > 0 {
				if t, ok := r.Content[0].(*sdk.TextContent); ok {
					c.Result = t.Text
				}
			}
		}
		l.write(c)
		return res, err
	}
}

// raw is masked JSON arguments, approval codes' verifying halves removed.
func (l *callLog) raw(args json.RawMessage) json.RawMessage {
	if len(args) == 0 {
		return nil
	}
	b := l.mask.Bytes(append([]byte(nil), args...))
	b = approvalSecret.ReplaceAll(b, []byte("${1}[redacted]"))
	if !json.Valid(b) {
		b, _ = json.Marshal(string(b))
	}
	return b
}

func (l *callLog) write(c Call) {
	line, err := json.Marshal(c)
	if err != nil {
		return
	}
	line = append(l.mask.Bytes(line), '\n')
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.w != nil {
		l.w.Write(line)
	}
	for _, dir := range l.folders(c.Result) {
		if f, err := os.OpenFile(filepath.Join(dir, CallsFile), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644); err == nil {
			f.Write(line)
			f.Close()
		}
	}
}

// folders are the evidence folders a result names (evidenceDir, at the
// top or in its outcome), those under the evidence root only.
func (l *callLog) folders(result any) []string {
	raw, ok := result.(json.RawMessage)
	if !ok {
		return nil
	}
	var doc struct {
		EvidenceDir string `json:"evidenceDir"`
		Outcome     *struct {
			EvidenceDir string `json:"evidenceDir"`
		} `json:"outcome"`
	}
	if json.Unmarshal(raw, &doc) != nil {
		return nil
	}
	var out []string
	for _, d := range []string{doc.EvidenceDir, outcomeDir(doc.Outcome)} {
		if d != "" && within(l.root, d) && !contains(out, d) {
			if fi, err := os.Stat(d); err == nil && fi.IsDir() {
				out = append(out, d)
			}
		}
	}
	return out
}

func outcomeDir(o *struct {
	EvidenceDir string `json:"evidenceDir"`
}) string {
	if o == nil {
		return ""
	}
	return o.EvidenceDir
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// within reports whether path is root or under it, links resolved.
func within(root, path string) bool {
	r, err := filepath.EvalSymlinks(root)
	if err != nil {
		return false
	}
	p, err := filepath.EvalSymlinks(path)
	if err != nil {
		return false
	}
	rel, err := filepath.Rel(r, p)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel)
}
