package app

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/vigie-cyber/vigie/hub/store"
	"github.com/vigie-cyber/vigie/protocol"
)

// Declared assets: the appliances no agent runs on (firewalls, VPN
// gateways, NAS, hypervisors) that an entity's IT staff or its adviser
// knows. Agents declare theirs in their configuration; an adviser declares
// an entity's on its page, one by one or by importing a CSV file.

// MaxAssetsCSV bounds an imported CSV (64 KiB: a thousand appliances).
const MaxAssetsCSV = 64 << 10

// CheckAsset refuses an asset without a vendor or a product, or with a
// field longer than protocol.MaxLabel bytes, with control characters or
// invalid UTF-8.
func CheckAsset(a protocol.Asset) error {
	if strings.TrimSpace(a.Vendor) == "" || strings.TrimSpace(a.Product) == "" {
		return fmt.Errorf("%w : l'éditeur et le produit sont obligatoires", ErrBadInput)
	}
	for _, f := range []string{a.Vendor, a.Product, a.Version, a.Name} {
		if len(f) > protocol.MaxLabel || !printable(f) || f != strings.TrimSpace(f) {
			return fmt.Errorf("%w : champ trop long (%d octets au plus), avec des caractères de contrôle ou des espaces au bord", ErrBadInput, protocol.MaxLabel)
		}
	}
	return nil
}

// assetColumns are the names a CSV header may give each field, French and
// English, lowercase.
var assetColumns = [4][]string{
	{"vendor", "éditeur", "editeur", "fournisseur", "constructeur", "fabricant"},
	{"product", "produit", "modèle", "modele"},
	{"version"},
	{"name", "nom", "désignation", "designation"},
}

// ParseAssetsCSV reads assets from a CSV file: UTF-8 (a BOM is skipped),
// separated by commas or semicolons (what a French spreadsheet writes),
// with a header naming the columns (vendor, product, version, name, or
// éditeur, produit, version, nom) or, without one, the columns in that
// order. Blank lines are skipped. At most protocol.MaxAssets assets; any
// faulty line refuses the whole file with its line number, so that an
// import is all or nothing.
func ParseAssetsCSV(data []byte) ([]protocol.Asset, error) {
	if len(data) > MaxAssetsCSV {
		return nil, fmt.Errorf("%w : fichier trop gros (%d Kio au plus)", ErrBadInput, MaxAssetsCSV>>10)
	}
	if !utf8.Valid(data) {
		return nil, fmt.Errorf("%w : le fichier n'est pas en UTF-8", ErrBadInput)
	}
	data = bytes.TrimPrefix(data, []byte("\ufeff"))
	first, _, _ := bytes.Cut(data, []byte("\n"))
	r := csv.NewReader(bytes.NewReader(data))
	if bytes.Count(first, []byte(";")) > bytes.Count(first, []byte(",")) {
		r.Comma = ';'
	}
	r.FieldsPerRecord = -1
	r.ReuseRecord = true
	cols := [4]int{0, 1, 2, 3}
	var out []protocol.Asset
	header := true // the first line with something may be a header
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if pe := (*csv.ParseError)(nil); errors.As(err, &pe) {
			return nil, fmt.Errorf("%w : ligne %d : CSV illisible (%v)", ErrBadInput, pe.Line, pe.Err)
		}
		if err != nil {
			return nil, fmt.Errorf("%w : CSV illisible (%v)", ErrBadInput, err)
		}
		if blank(rec) {
			continue
		}
		line, _ := r.FieldPos(0)
		if header {
			header = false
			if c, ok := assetHeader(rec); ok {
				if c[0] < 0 || c[1] < 0 {
					return nil, fmt.Errorf("%w : ligne %d : l'en-tête doit nommer les colonnes éditeur (vendor) et produit (product)", ErrBadInput, line)
				}
				cols = c
				continue
			}
		}
		field := func(i int) string {
			if cols[i] < 0 || cols[i] >= len(rec) {
				return ""
			}
			return strings.TrimSpace(rec[cols[i]])
		}
		a := protocol.Asset{Vendor: field(0), Product: field(1), Version: field(2), Name: field(3)}
		if err := CheckAsset(a); err != nil {
			return nil, fmt.Errorf("ligne %d : %w", line, err)
		}
		if len(out) == protocol.MaxAssets {
			return nil, fmt.Errorf("%w : plus de %d équipements", ErrBadInput, protocol.MaxAssets)
		}
		out = append(out, a)
	}
	return out, nil
}

func blank(rec []string) bool {
	for _, f := range rec {
		if strings.TrimSpace(f) != "" {
			return false
		}
	}
	return true
}

// assetHeader maps a header row's columns to the fields; ok is false when
// rec is not a header (it names none of them).
func assetHeader(rec []string) (cols [4]int, ok bool) {
	cols = [4]int{-1, -1, -1, -1}
	for i, h := range rec {
		h = strings.ToLower(strings.TrimSpace(h))
		for f, names := range assetColumns {
			for _, n := range names {
				if h == n && cols[f] < 0 {
					cols[f] = i
				}
			}
		}
	}
	return cols, cols != [4]int{-1, -1, -1, -1}
}

// WriteAssetsCSV writes assets as ParseAssetsCSV reads them, with the
// English header.
func WriteAssetsCSV(w io.Writer, assets []protocol.Asset) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"vendor", "product", "version", "name"})
	for _, a := range assets {
		cw.Write([]string{a.Vendor, a.Product, a.Version, a.Name})
	}
	cw.Flush()
	return cw.Error()
}

// EntityAssets lists the entity's declared appliances (its agents' then
// its advisers').
func (a *App) EntityAssets(ctx context.Context, entityID int64) ([]store.DeclaredAsset, error) {
	return a.cfg.Store.DeclaredAssets(ctx, entityID)
}

// AddAssets declares assets for the entity after checking each (CheckAsset),
// leaving out those declared already; it returns how many were added and
// audits the change. Errors: ErrBadInput, store.ErrNotFound.
func (a *App) AddAssets(ctx context.Context, entityID int64, assets []protocol.Asset, how, by string) (int, error) {
	for _, x := range assets {
		if err := CheckAsset(x); err != nil {
			return 0, err
		}
	}
	e, err := a.cfg.Store.Entity(ctx, entityID)
	if err != nil {
		return 0, err
	}
	n, err := a.cfg.Store.AddEntityAssets(ctx, entityID, assets, by, a.cfg.Now())
	if err != nil {
		return 0, err
	}
	detail := strconv.Itoa(n) + " ajouté(s)"
	if len(assets) == 1 {
		detail = assetLabel(assets[0])
	}
	a.Record(ctx, by, how, e.Name, detail)
	return n, nil
}

// DeleteAsset removes one of the entity's adviser-declared assets, audited.
func (a *App) DeleteAsset(ctx context.Context, entityID, id int64, by string) error {
	e, err := a.cfg.Store.Entity(ctx, entityID)
	if err != nil {
		return err
	}
	x, err := a.cfg.Store.DeleteEntityAsset(ctx, entityID, id)
	if err != nil {
		return err
	}
	a.Record(ctx, by, "asset_delete", e.Name, assetLabel(x))
	return nil
}

func assetLabel(x protocol.Asset) string {
	s := strings.TrimSpace(x.Vendor + " " + x.Product + " " + x.Version)
	if x.Name != "" {
		s += " (" + x.Name + ")"
	}
	return s
}
