package web

// The words of the software and declared appliances sections (issue 15),
// kept apart from the main vocabulary so that it can change without them.
func init() {
	for k, v := range map[string][2]string{
		"inv.software":       {"Logiciels installés", "Installed software"},
		"inv.softwarecount":  {"%d logiciels sur %d affichés", "%d of %d packages shown"},
		"inv.softwarenone":   {"Aucun inventaire logiciel reçu de ce poste pour l'instant : il est demandé à l'agent et arrivera avec son prochain bilan.", "No software inventory received from this host yet: the agent has been asked for it and will send it with its next report."},
		"inv.softwarestale":  {"Ce bilan nommait un inventaire que le hub n'avait pas : voici le dernier connu avant lui.", "This report named an inventory the hub did not hold: this is the last one known before it."},
		"inv.softwaresince":  {"Inventaire connu du hub depuis le %s", "Inventory known to the hub since %s"},
		"inv.changes":        {"Changements depuis l'inventaire précédent", "Changes since the previous inventory"},
		"inv.changessummary": {"%d ajouté(s), %d retiré(s), %d version(s) changée(s)", "%d added, %d removed, %d version(s) changed"},
		"inv.nochanges":      {"Aucun inventaire précédent à comparer.", "No previous inventory to compare with."},
		"inv.added":          {"ajouté", "added"},
		"inv.removed":        {"retiré", "removed"},
		"inv.version":        {"Version", "Version"},
		"inv.versionchanged": {"version changée", "version changed"},
		"inv.name":           {"Nom", "Name"},
		"inv.arch":           {"Arch.", "Arch."},
		"inv.source":         {"Source", "Source"},
		"inv.publisher":      {"Éditeur", "Publisher"},
		"inv.sourcepackage":  {"Paquet source", "Source package"},
		"inv.filtersw":       {"Filtrer par nom, éditeur ou paquet source", "Filter by name, publisher or source package"},
		"inv.sortby":         {"Trier par", "Sort by"},
		"inv.sortname":       {"nom", "name"},
		"inv.sortversion":    {"version", "version"},
		"inv.descending":     {"ordre décroissant", "descending"},
		"inv.apply":          {"Appliquer", "Apply"},
		"inv.assets":         {"Équipements déclarés", "Declared appliances"},
		"inv.assetshelp":     {"Pare-feu, passerelles VPN, NAS, hyperviseurs : les équipements sur lesquels aucun agent ne tourne, rapprochés des avis de sécurité comme les logiciels.", "Firewalls, VPN gateways, NAS, hypervisors: appliances no agent runs on, matched against security advisories like software."},
		"inv.assetsempty":    {"Aucun équipement déclaré.", "No appliance declared."},
		"inv.vendor":         {"Éditeur", "Vendor"},
		"inv.product":        {"Produit", "Product"},
		"inv.designation":    {"Désignation", "Name"},
		"inv.declaredby":     {"Déclaré par", "Declared by"},
		"inv.byagent":        {"agent de %s", "agent on %s"},
		"inv.assetadd":       {"Déclarer un équipement", "Declare an appliance"},
		"inv.add":            {"Ajouter", "Add"},
		"inv.delete":         {"Supprimer", "Delete"},
		"inv.assetimport":    {"Importer un fichier CSV", "Import a CSV file"},
		"inv.assetimporthelp": {"Collez le contenu du fichier : une ligne par équipement, colonnes éditeur, produit, version, nom (séparées par des virgules ou des points-virgules ; un en-tête vendor,product,version,name ou éditeur;produit;version;nom est reconnu). Un fichier avec une ligne fautive n'est pas importé du tout.",
			"Paste the file's content: one line per appliance, columns vendor, product, version, name (separated by commas or semicolons; a header vendor,product,version,name or éditeur;produit;version;nom is recognised). A file with a faulty line is not imported at all."},
		"inv.import":       {"Importer", "Import"},
		"inv.assetsadded":  {"%d équipement(s) ajouté(s) (ceux déjà déclarés ne sont pas répétés).", "%d appliance(s) added (those already declared are not repeated)."},
		"inv.assetdeleted": {"Équipement supprimé.", "Appliance deleted."},
		"inv.assetsnone":   {"le fichier ne contient aucun équipement", "the file holds no appliance"},
	} {
		if _, dup := words[k]; dup {
			panic("web: word " + k + " defined twice")
		}
		words[k] = v
	}
}
