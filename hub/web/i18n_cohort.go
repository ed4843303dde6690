package web

// The words of the comparison with peers (issue 22), kept apart from the
// main vocabulary.
func init() {
	for k, v := range map[string][2]string{
		"cmp.title":        {"Comparaison avec les entités comparables", "Comparison with comparable entities"},
		"cmp.cohort":       {"Entités du même secteur et de la même taille dans la région : %s — %d entité(s) ayant un niveau, celle-ci comprise.", "Entities of the same sector and size in the region: %s — %d entity(ies) with a level, this one included."},
		"cmp.few":          {"Pas assez d'entités comparables : il en faut %d au moins (celle-ci comprise) pour montrer une médiane et des quartiles sans exposer aucune d'elles.", "Not enough comparable entities: at least %d are needed (this one included) to show a median and quartiles without exposing any of them."},
		"cmp.fewshort":     {"pas assez d'entités comparables", "not enough comparable entities"},
		"cmp.noband":       {"Taille non renseignée : sans tranche de taille, l'entité n'est comparée à aucune autre. Un administrateur peut la renseigner ci-dessous ou par « vigie-hub entity set-size-band ».", "Size not given: without a size band the entity is compared with no other. An administrator can give it below or with « vigie-hub entity set-size-band »."},
		"cmp.indicator":    {"Indicateur", "Measure"},
		"cmp.this":         {"Cette entité", "This entity"},
		"cmp.q1":           {"1er quartile", "1st quartile"},
		"cmp.median":       {"Médiane", "Median"},
		"cmp.q3":           {"3e quartile", "3rd quartile"},
		"cmp.range":        {"Minimum – maximum", "Minimum – maximum"},
		"cmp.spread":       {"Répartition", "Spread"},
		"cmp.level":        {"Niveau de maturité (0 à 4)", "Maturity level (0 to 4)"},
		"cmp.legend":       {"Barre : de 1er au 3e quartile (la moitié des entités) ; trait : médiane ; fils : minimum et maximum ; rond : cette entité. Scores de 0 à 100, dernier bilan de chaque entité.", "Bar: 1st to 3rd quartile (half of the entities); line: median; whiskers: minimum and maximum; dot: this entity. Scores 0-100, each entity's latest report."},
		"cmp.behind":       {"Vérifications où l'entité est en retard sur la plupart de ses pairs", "Checks where the entity is behind most of its peers"},
		"cmp.behindhelp":   {"Vérifications en échec ou à surveiller ici, réussies par plus de la moitié des autres entités de la cohorte.", "Checks failing or to watch here that more than half of the cohort's other entities pass."},
		"cmp.nobehind":     {"Aucune : sur chaque vérification en défaut ici, la plupart des pairs sont aussi en défaut.", "None: on every check failing here, most peers fail too."},
		"cmp.passing":      {"réussie par %d pair(s) sur %d (%d %%)", "passed by %d of %d peers (%d%%)"},
		"cmp.changeband":   {"Changer la tranche de taille", "Change size band"},
		"cmp.band":         {"Tranche de taille", "Size band"},
		"cmp.bandhelp":     {"La comparaison suivra ; le changement est inscrit au journal d'audit.", "The comparison will follow; the change is recorded in the audit log."},
		"cmp.sectors":      {"Répartition par secteur et par taille", "Distribution by sector and size"},
		"cmp.sectorshelp":  {"Médiane et quartiles (entre parenthèses) du niveau et des scores par domaine, dernier bilan de chaque entité ; chaque tranche de taille n'est montrée qu'à partir de %d entités.", "Median and quartiles (in brackets) of the level and the domain scores, each entity's latest report; each size band is shown only from %d entities."},
		"cmp.group":        {"Secteur ou tranche", "Sector or band"},
		"cmp.allbands":     {"toutes tailles", "all sizes"},
		"cmp.bypopulation": {"Communes : population", "Communes: population"},
		"cmp.byhosts":      {"Autres secteurs : nombre de postes", "Other sectors: number of hosts"},
		"cmp.bandtoken":    {"Tranche de taille (nouvelle entité)", "Size band (new entity)"},
		"cmp.fewnone":      {"non renseignée (à donner plus tard)", "not given (to give later)"},
		"cmp.report":       {"Rapport de maturité cyber", "Cyber maturity report"},
		"cmp.printed":      {"Édité le %s par le hub régional Vigie.", "Printed on %s by the Vigie regional hub."},
	} {
		words[k] = v
	}
	auditWords["entity_size_band"] = [2]string{"Tranche de taille d'une entité changée", "Entity size band changed"}
}
