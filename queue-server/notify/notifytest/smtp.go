package notifytest

import (
	"bufio"
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"
)

// SMTPServer is a minimal real SMTP server on 127.0.0.1: EHLO, STARTTLS
// (when TLS is on), AUTH PLAIN, MAIL, RCPT, DATA, RSET, NOOP, QUIT. It
// records each message accepted.
type SMTPServer struct {
	Addr string // host:port
	// Username and Password are what AUTH PLAIN accepts; empty: AUTH is
	// not offered.
	Username, Password string
	// CertPEM is the server's self-signed certificate, for the client's
	// roots (write it to SMTPConfig.RootCAFile).
	CertPEM []byte

	ln  net.Listener
	tls *tls.Config
	wg  sync.WaitGroup

	mu       sync.Mutex
	startTLS bool
	rcptCode int // a reply to RCPT other than 250 (a 550 or a 451 test)
	messages []SMTPMessage
}

// SMTPMessage is one message accepted.
type SMTPMessage struct {
	From    string
	To      []string
	Data    []byte // as received, dot-unstuffed
	Header  mail.Header
	Subject string // decoded
	Body    string // decoded from quoted-printable when so encoded
	TLS     bool   // the session was under STARTTLS
	Auth    string // the user authenticated, if any
}

// StartSMTP starts the server with STARTTLS offered; it stops with the test.
func StartSMTP(t testing.TB) *SMTPServer {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &SMTPServer{Addr: ln.Addr().String(), ln: ln, startTLS: true}
	s.tls, s.CertPEM = selfSigned(t)
	s.wg.Add(1)
	go s.accept()
	t.Cleanup(func() {
		ln.Close()
		s.wg.Wait()
	})
	return s
}

// SetStartTLS turns the STARTTLS offer on or off.
func (s *SMTPServer) SetStartTLS(on bool) {
	s.mu.Lock()
	s.startTLS = on
	s.mu.Unlock()
}

// SetRcptReply makes RCPT answer code (0: 250 again).
func (s *SMTPServer) SetRcptReply(code int) {
	s.mu.Lock()
	s.rcptCode = code
	s.mu.Unlock()
}

// Messages returns the messages accepted, in order.
func (s *SMTPServer) Messages() []SMTPMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]SMTPMessage(nil), s.messages...)
}

func (s *SMTPServer) accept() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer c.Close()
			c.SetDeadline(time.Now().Add(30 * time.Second))
			s.session(c)
		}()
	}
}

func (s *SMTPServer) session(c net.Conn) {
	r, w := bufio.NewReader(c), bufio.NewWriter(c)
	reply := func(lines ...string) {
		for _, l := range lines {
			w.WriteString(l + "\r\n")
		}
		w.Flush()
	}
	reply("220 fake.smtp ESMTP ready")
	var cur SMTPMessage
	secure, auth := false, ""
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		line = strings.TrimRight(line, "\r\n")
		verb, arg, _ := strings.Cut(line, " ")
		s.mu.Lock()
		offerTLS, rcpt := s.startTLS && !secure, s.rcptCode
		s.mu.Unlock()
		switch strings.ToUpper(verb) {
		case "EHLO":
			lines := []string{"250-fake.smtp greets " + arg, "250-8BITMIME"}
			if offerTLS {
				lines = append(lines, "250-STARTTLS")
			}
			if s.Username != "" {
				lines = append(lines, "250-AUTH PLAIN")
			}
			lines = append(lines, "250 SMTPUTF8")
			reply(lines...)
		case "HELO":
			reply("250 fake.smtp")
		case "STARTTLS":
			if !offerTLS {
				reply("502 5.5.1 not offered")
				continue
			}
			reply("220 2.0.0 go ahead")
			tc := tls.Server(c, s.tls)
			if err := tc.Handshake(); err != nil {
				return
			}
			c, secure = tc, true
			r, w = bufio.NewReader(tc), bufio.NewWriter(tc)
			cur = SMTPMessage{}
		case "AUTH":
			mech, ir, _ := strings.Cut(arg, " ")
			if s.Username == "" || !strings.EqualFold(mech, "PLAIN") {
				reply("504 5.5.4 mechanism not supported")
				continue
			}
			if ir == "" {
				reply("334 ")
				if ir, err = r.ReadString('\n'); err != nil {
					return
				}
				ir = strings.TrimSpace(ir)
			}
			b, err := base64.StdEncoding.DecodeString(ir)
			parts := strings.Split(string(b), "\x00")
			if err != nil || len(parts) != 3 || parts[1] != s.Username || parts[2] != s.Password {
				reply("535 5.7.8 authentication failed")
				continue
			}
			auth = parts[1]
			reply("235 2.7.0 authenticated")
		case "MAIL":
			if s.Username != "" && auth == "" {
				reply("530 5.7.0 authentication required")
				continue
			}
			cur = SMTPMessage{From: addrOf(arg), TLS: secure, Auth: auth}
			reply("250 2.1.0 ok")
		case "RCPT":
			if rcpt != 0 {
				reply(fmt.Sprintf("%d %d.1.1 refused", rcpt, rcpt/100))
				continue
			}
			cur.To = append(cur.To, addrOf(arg))
			reply("250 2.1.5 ok")
		case "DATA":
			if cur.From == "" || len(cur.To) == 0 {
				reply("503 5.5.1 MAIL and RCPT first")
				continue
			}
			reply("354 end with <CRLF>.<CRLF>")
			var data bytes.Buffer
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if l == ".\r\n" {
					break
				}
				data.WriteString(strings.TrimPrefix(l, "."))
			}
			cur.Data = data.Bytes()
			parse(&cur)
			s.mu.Lock()
			s.messages = append(s.messages, cur)
			s.mu.Unlock()
			cur = SMTPMessage{}
			reply("250 2.0.0 queued")
		case "RSET":
			cur = SMTPMessage{}
			reply("250 2.0.0 ok")
		case "NOOP":
			reply("250 2.0.0 ok")
		case "QUIT":
			reply("221 2.0.0 bye")
			return
		default:
			reply("500 5.5.2 unknown command")
		}
	}
}

func addrOf(arg string) string {
	_, a, _ := strings.Cut(arg, ":")
	a, _, _ = strings.Cut(strings.TrimSpace(a), " ")
	return strings.Trim(a, "<>")
}

// parse fills Header, Subject and Body from Data.
func parse(m *SMTPMessage) {
	msg, err := mail.ReadMessage(bytes.NewReader(m.Data))
	if err != nil {
		return
	}
	m.Header = msg.Header
	m.Subject, _ = new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	var body io.Reader = msg.Body
	if strings.EqualFold(msg.Header.Get("Content-Transfer-Encoding"), "quoted-printable") {
		body = quotedprintable.NewReader(body)
	}
	b, _ := io.ReadAll(body)
	m.Body = string(b)
}

// selfSigned makes a certificate for 127.0.0.1.
func selfSigned(t testing.TB) (*tls.Config, []byte) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "fake.smtp"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"localhost"},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA: true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert := tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
	return &tls.Config{Certificates: []tls.Certificate{cert}}, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}
