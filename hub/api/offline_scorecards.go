package api

import (
	"bytes"
	"context"
	"errors"
	"hash/fnv"
	"io"
	"os"
	"runtime"
	"strings"
	"sync"

	"golang.org/x/sync/semaphore"

	"github.com/vigie-cyber/vigie/hub/hubkeys"
	"github.com/vigie-cyber/vigie/hub/store"
	"github.com/vigie-cyber/vigie/protocol"
)

// Offline scorecards: each file is the body an agent would have POSTed,
// encrypted to the hub (protocol.OfflineScorecardName). Files are
// decrypted and verified in parallel, then applied per agent in sequence
// order, so that a stick holding weeks of scorecards leaves the newest as
// the host's latest and every other in its history.
//
// Order comes from the content, never from the name alone: the name (agent
// and sequence) only orders the first pass; a file whose content is not
// what its name says, or whose name says nothing, is put aside and applied
// in a second pass, in the order of what it really holds. Either way a
// scorecard older than its host's latest is kept as history (store.Late),
// so a lying name can change which label a file gets, never what the host's
// latest is. Memory stays bounded: only the files in flight are held
// decrypted (pipeline), never the whole stick.

type scJob struct {
	path   string
	agent  string // from the name (first pass), from the content (second)
	seq    uint64
	hinted bool
}

type scResult struct {
	i   int
	job scJob
	ch  *Checked
	rep *FileReport // refused before storage
	err error       // storage: stops the import
}

type scorecardKind struct {
	core    *Core
	keys    Decrypter
	workers int
	agents  sync.Map // agent ID -> agentLookup
}

type agentLookup struct {
	agent store.Agent
	err   error
}

// shards apply the scorecards, one agent always on the same shard, in
// order; many at once let the store's group commit batch them (one
// commit, one fsync, for up to shards scorecards).
const (
	shards    = 64
	laneDepth = 4
	// budgetBytes bounds the bytes of files in flight (about three times
	// that in memory), minWeight counts a small file as this much, and
	// budgetFiles sizes the results queue.
	budgetBytes = 32 << 20
	minWeight   = 64 << 10
	budgetFiles = budgetBytes / minWeight
)

func newScorecardKind(core *Core, keys Decrypter, workers int) *scorecardKind {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	return &scorecardKind{core: core, keys: keys, workers: workers}
}

func (*scorecardKind) name() string { return "scorecard" }

func (*scorecardKind) claims(base string, head []byte) bool {
	return strings.HasSuffix(base, protocol.OfflineScorecardSuffix) || bytes.HasPrefix(head, ageMagic)
}

func (k *scorecardKind) importFiles(ctx context.Context, files []string, report func(FileReport)) error {
	jobs := make([]scJob, len(files))
	for i, f := range files {
		j := scJob{path: f}
		base := f[strings.LastIndexAny(f, `/\`)+1:]
		j.agent, j.seq, j.hinted = protocol.ParseOfflineScorecardName(base)
		jobs[i] = j
	}
	sortJobs(jobs)
	later, err := k.pass(ctx, jobs, true, report)
	if err != nil || len(later) == 0 {
		return err
	}
	sortJobs(later)
	_, err = k.pass(ctx, later, false, report)
	return err
}

// pass decrypts and checks jobs in parallel and applies them in jobs'
// order. With firstPass, a file whose content differs from its name is not
// applied but returned, with what it holds, for the second pass.
func (k *scorecardKind) pass(ctx context.Context, jobs []scJob, firstPass bool, report func(FileReport)) ([]scJob, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// The budget bounds the files held, from reading to storing, by their
	// size on the stick: each holds about three times that in memory
	// (file, envelope, payload).
	budget := semaphore.NewWeighted(budgetBytes)
	weights := make([]int64, len(jobs))
	todo := make(chan int)
	results := make(chan scResult, budgetFiles)
	go func() {
		defer close(todo)
		for i, j := range jobs {
			w := int64(minWeight)
			if fi, err := os.Stat(j.path); err == nil {
				w = min(max(fi.Size(), minWeight), budgetBytes)
			}
			if err := budget.Acquire(ctx, w); err != nil {
				return
			}
			weights[i] = w
			select {
			case todo <- i:
			case <-ctx.Done():
				budget.Release(w)
				return
			}
		}
	}()
	var wg sync.WaitGroup
	for range k.workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range todo {
				r := k.open(ctx, jobs[i])
				r.i = i
				results <- r
			}
		}()
	}
	go func() { wg.Wait(); close(results) }()

	var errOnce sync.Once
	var firstErr error
	fail := func(err error) {
		errOnce.Do(func() { firstErr = err; cancel() })
	}
	var swg sync.WaitGroup
	lanes := make([]chan scResult, shards)
	for s := range lanes {
		lanes[s] = make(chan scResult, laneDepth)
		swg.Add(1)
		go func() {
			defer swg.Done()
			for r := range lanes[s] {
				if ctx.Err() == nil {
					if rep, err := k.apply(ctx, r); err != nil {
						fail(err)
					} else {
						report(rep)
					}
				}
				budget.Release(weights[r.i])
			}
		}()
	}
	var later []scJob
	pending := map[int]scResult{}
	next := 0
	for r := range results {
		pending[r.i] = r
		for {
			x, ok := pending[next]
			if !ok {
				break
			}
			delete(pending, next)
			next++
			switch {
			case x.err != nil:
				fail(x.err)
			case x.rep != nil:
				report(*x.rep)
			case ctx.Err() != nil:
			default:
				sc := x.ch.Summary()
				if firstPass && (!x.job.hinted || x.job.agent != sc.AgentID || x.job.seq != sc.Sequence) {
					later = append(later, scJob{path: x.job.path, agent: sc.AgentID, seq: sc.Sequence, hinted: true})
					break
				}
				h := fnv.New32a()
				h.Write([]byte(sc.AgentID))
				lanes[h.Sum32()%shards] <- x
				continue // the lane releases its budget
			}
			budget.Release(weights[x.i])
		}
	}
	for _, l := range lanes {
		close(l)
	}
	swg.Wait()
	if firstErr == nil && ctx.Err() != nil {
		firstErr = ctx.Err()
	}
	return later, firstErr
}

// open reads, decrypts and checks one file.
func (k *scorecardKind) open(ctx context.Context, job scJob) scResult {
	rep := FileReport{Path: job.path, Kind: "scorecard"}
	refuse := func(reason, msg string) scResult {
		rep.Status, rep.Reason, rep.Message = FileRefused, reason, "refusé : "+msg
		return scResult{job: job, rep: &rep}
	}
	f, err := os.Open(job.path)
	if err != nil {
		return refuse(ReasonUnreadable, "fichier illisible : "+err.Error())
	}
	data, err := io.ReadAll(io.LimitReader(f, protocol.MaxOfflineFile+1))
	f.Close()
	if err != nil {
		return refuse(ReasonUnreadable, "fichier illisible : "+err.Error())
	}
	if len(data) > protocol.MaxOfflineFile {
		return refuse(ReasonTooLarge, "fichier trop volumineux pour un bilan hors ligne")
	}
	pr, err := k.keys.Decrypt(bytes.NewReader(data))
	switch {
	case errors.Is(err, hubkeys.ErrNotForThisHub):
		return refuse(ReasonNotForThisHub, "chiffré pour un autre hub (ou une autre clé) : à importer sur le hub auquel ce poste est rattaché")
	case err != nil && !bytes.HasPrefix(data, ageMagic):
		return refuse(ReasonNotVigie, "pas un fichier Vigie (fichier chiffré age attendu)")
	case err != nil:
		return refuse(ReasonTruncated, "fichier incomplet (en-tête age tronqué) : copie interrompue ou clé retirée pendant l'écriture ? Recopiez-le depuis le poste")
	}
	body, err := io.ReadAll(io.LimitReader(pr, protocol.MaxEnvelopeSize+1))
	if err != nil {
		// age authenticates each chunk and marks the last: a file cut
		// short and a damaged one fail alike.
		return refuse(ReasonTruncated, "fichier incomplet ou endommagé (déchiffrement authentifié en échec) : copie interrompue ou clé retirée pendant l'écriture ? Recopiez-le depuis le poste")
	}
	if len(body) > protocol.MaxEnvelopeSize {
		return refuse(ReasonTooLarge, "bilan déchiffré trop volumineux")
	}
	id, ref := Signer(body)
	if ref != nil {
		return refuse(ReasonMalformed, "le contenu déchiffré n'est pas un bilan signé (enveloppe DSSE attendue)")
	}
	rep.AgentID = id
	agent, err := k.agent(ctx, id)
	if ref, ok := errors.AsType[*Refusal](err); ok {
		r := refusalReport(rep, ref)
		return scResult{job: job, rep: &r}
	}
	if err != nil {
		return scResult{job: job, err: err}
	}
	ch, ref := k.core.Check(agent, body)
	if ref != nil {
		r := refusalReport(rep, ref)
		return scResult{job: job, rep: &r}
	}
	return scResult{job: job, ch: ch}
}

// agent looks an agent up once per import.
func (k *scorecardKind) agent(ctx context.Context, id string) (store.Agent, error) {
	if v, ok := k.agents.Load(id); ok {
		l := v.(agentLookup)
		return l.agent, l.err
	}
	a, err := k.core.Agent(ctx, id)
	if _, ok := errors.AsType[*Refusal](err); ok || err == nil {
		k.agents.Store(id, agentLookup{a, err})
	}
	return a, err
}

// apply stores one checked scorecard and says what became of it.
func (k *scorecardKind) apply(ctx context.Context, r scResult) (FileReport, error) {
	sc := r.ch.Summary()
	rep := FileReport{Path: r.job.path, Kind: "scorecard", AgentID: sc.AgentID, ScorecardID: sc.ID, Sequence: sc.Sequence}
	saved, err := k.core.Save(ctx, r.ch, true)
	if ref, ok := errors.AsType[*Refusal](err); ok {
		return refusalReport(rep, ref), nil
	}
	if err != nil {
		return rep, err
	}
	switch saved.Outcome {
	case store.Stored:
		rep.Status, rep.Message = FileStored, "enregistré"
	case store.History:
		rep.Status, rep.Message = FileHistory, "enregistré dans l'historique : plus ancien que le dernier bilan reçu de ce poste, qui reste le plus récent"
	default:
		rep.Status, rep.Message = FileDuplicate, "déjà reçu : doublon, rien d'écrit"
	}
	return rep, nil
}
