package scannersim

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
)

// ESCLServer is a simulated eSCL network scanner; serve it with
// httptest.NewServer or on a loopback address.
type ESCLServer struct {
	mu       sync.Mutex
	pages    int // sheets in the feeder
	jamAfter int // pages delivered before a jam (0: never)
	busy     bool
	adfState string
	jobs     map[string]*esclJob
	nextID   int
	mux      *http.ServeMux
}

type esclJob struct {
	feeder    bool
	delivered int
	mime      string
}

// NewESCLServer returns a scanner with pages sheets in its feeder.
func NewESCLServer(pages int) *ESCLServer {
	s := &ESCLServer{pages: pages, jobs: map[string]*esclJob{}, adfState: "ScannerAdfLoaded"}
	if pages == 0 {
		s.adfState = "ScannerAdfEmpty"
	}
	s.mux = http.NewServeMux()
	s.mux.HandleFunc("GET /eSCL/ScannerCapabilities", s.capabilities)
	s.mux.HandleFunc("GET /eSCL/ScannerStatus", s.status)
	s.mux.HandleFunc("POST /eSCL/ScanJobs", s.create)
	s.mux.HandleFunc("GET /eSCL/ScanJobs/{id}/NextDocument", s.next)
	s.mux.HandleFunc("DELETE /eSCL/ScanJobs/{id}", s.remove)
	return s
}

// JamAfter makes the feeder jam after n more pages.
func (s *ESCLServer) JamAfter(n int) {
	s.mu.Lock()
	s.jamAfter = n
	s.mu.Unlock()
}

// SetBusy makes new jobs fail with 503, as when another job runs.
func (s *ESCLServer) SetBusy(b bool) {
	s.mu.Lock()
	s.busy = b
	s.mu.Unlock()
}

// ServeHTTP serves the eSCL resources.
func (s *ESCLServer) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

func (s *ESCLServer) capabilities(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/xml")
	profile := `<scan:SettingProfiles><scan:SettingProfile><scan:ColorModes><scan:ColorMode>RGB24</scan:ColorMode><scan:ColorMode>Grayscale8</scan:ColorMode></scan:ColorModes>
<pwg:DocumentFormats><pwg:DocumentFormat>image/png</pwg:DocumentFormat><pwg:DocumentFormat>application/pdf</pwg:DocumentFormat></pwg:DocumentFormats>
<scan:SupportedResolutions><scan:DiscreteResolutions><scan:DiscreteResolution><scan:XResolution>150</scan:XResolution><scan:YResolution>150</scan:YResolution></scan:DiscreteResolution><scan:DiscreteResolution><scan:XResolution>300</scan:XResolution><scan:YResolution>300</scan:YResolution></scan:DiscreteResolution></scan:DiscreteResolutions></scan:SupportedResolutions></scan:SettingProfile></scan:SettingProfiles>`
	fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?>
<scan:ScannerCapabilities xmlns:scan="http://schemas.hp.com/imaging/escl/2011/05/03" xmlns:pwg="http://www.pwg.org/schemas/2010/12/sm">
<pwg:Version>2.63</pwg:Version><pwg:MakeAndModel>Xep Hang simulated eSCL scanner</pwg:MakeAndModel>
<scan:Platen><scan:PlatenInputCaps>%s</scan:PlatenInputCaps></scan:Platen>
<scan:Adf><scan:AdfSimplexInputCaps>%s</scan:AdfSimplexInputCaps></scan:Adf>
</scan:ScannerCapabilities>`, profile, profile)
}

func (s *ESCLServer) status(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	state, adf := "Idle", s.adfState
	if s.busy {
		state = "Processing"
	}
	s.mu.Unlock()
	w.Header().Set("Content-Type", "text/xml")
	fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?>
<scan:ScannerStatus xmlns:scan="http://schemas.hp.com/imaging/escl/2011/05/03" xmlns:pwg="http://www.pwg.org/schemas/2010/12/sm">
<pwg:Version>2.63</pwg:Version><pwg:State>%s</pwg:State><scan:AdfState>%s</scan:AdfState></scan:ScannerStatus>`, state, adf)
}

func (s *ESCLServer) create(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<16))
	settings := string(body)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.busy {
		http.Error(w, "busy", http.StatusServiceUnavailable)
		return
	}
	if !strings.Contains(settings, "ScanSettings") {
		http.Error(w, "bad settings", http.StatusBadRequest)
		return
	}
	feeder := strings.Contains(settings, ">Feeder<")
	if feeder && s.pages == 0 {
		http.Error(w, "feeder empty", http.StatusConflict)
		return
	}
	s.nextID++
	id := fmt.Sprintf("job-%d", s.nextID)
	s.jobs[id] = &esclJob{feeder: feeder, mime: "image/png"}
	w.Header().Set("Location", "/eSCL/ScanJobs/"+id)
	w.WriteHeader(http.StatusCreated)
}

func (s *ESCLServer) next(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	job, ok := s.jobs[r.PathValue("id")]
	if !ok {
		s.mu.Unlock()
		http.NotFound(w, r)
		return
	}
	done := (!job.feeder && job.delivered == 1) || (job.feeder && s.pages == 0)
	if job.feeder && s.jamAfter > 0 && job.delivered >= s.jamAfter {
		s.adfState = "ScannerAdfJam"
		done = true
	}
	if done {
		delete(s.jobs, r.PathValue("id"))
		s.mu.Unlock()
		http.NotFound(w, r)
		return
	}
	job.delivered++
	n := job.delivered
	if job.feeder {
		s.pages--
		if s.pages == 0 {
			s.adfState = "ScannerAdfEmpty"
		}
	}
	s.mu.Unlock()
	data := PagePNG(n, 75)
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Content-Length", fmt.Sprint(len(data)))
	w.Write(data)
}

func (s *ESCLServer) remove(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	delete(s.jobs, r.PathValue("id"))
	s.mu.Unlock()
	w.WriteHeader(http.StatusOK)
}
