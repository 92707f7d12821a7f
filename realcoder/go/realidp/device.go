package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"sync"
)

// deviceApprover plays the user of the device flow: it remembers the user code of every
// device code the provider hands out, lets the first poll of each answer
// authorization_pending as a real provider would, and then approves the code through the
// provider's own verification endpoint.
type deviceApprover struct {
	issuer string

	mu        sync.Mutex
	userCodes map[string]string // device code -> user code, until approved
}

func newDeviceApprover() *deviceApprover {
	return &deviceApprover{userCodes: map[string]string{}}
}

func (a *deviceApprover) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/login/device/code":
			recorder := &bodyRecorder{ResponseWriter: rw}
			next.ServeHTTP(recorder, r)
			a.remember(recorder.body.Bytes())
		case strings.HasSuffix(r.URL.Path, "/token") && r.URL.Query().Get("grant_type") == "urn:ietf:params:oauth:grant-type:device_code":
			next.ServeHTTP(rw, r)
			a.approve(r.URL.Query().Get("device_code"))
		default:
			next.ServeHTTP(rw, r)
		}
	})
}

// remember reads the device code and user code out of the provider's answer, which is JSON
// when Coder asks (Accept: application/json) and form-encoded otherwise, as GitHub's is.
func (a *deviceApprover) remember(body []byte) {
	var answer struct {
		DeviceCode string `json:"device_code"`
		UserCode   string `json:"user_code"`
	}
	if json.Unmarshal(body, &answer) != nil {
		form, err := url.ParseQuery(string(body))
		if err != nil {
			return
		}
		answer.DeviceCode, answer.UserCode = form.Get("device_code"), form.Get("user_code")
	}
	if answer.DeviceCode == "" {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.userCodes[answer.DeviceCode] = answer.UserCode
}

// approve grants a device code after its first poll has been answered.
func (a *deviceApprover) approve(deviceCode string) {
	a.mu.Lock()
	userCode, pending := a.userCodes[deviceCode]
	delete(a.userCodes, deviceCode)
	a.mu.Unlock()
	if !pending {
		return
	}
	verify := a.issuer + "/login/device?" + url.Values{"device_code": {deviceCode}, "user_input": {userCode}}.Encode()
	resp, err := http.Get(verify) //nolint:gosec // our own loopback issuer
	if err == nil {
		_ = resp.Body.Close()
	}
}

// bodyRecorder passes a response through and keeps a copy of its body.
type bodyRecorder struct {
	http.ResponseWriter
	body bytes.Buffer
}

func (b *bodyRecorder) Write(p []byte) (int, error) {
	b.body.Write(p)
	return b.ResponseWriter.Write(p)
}
