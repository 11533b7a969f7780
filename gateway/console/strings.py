"""Every word the console shows, in English and French, in one place.

Each user reads the console in their own language (`cangw user add --language`, or the button
in the page's header). Messages that come from the store's validation (a wrong phone number, an
unknown village) are the CLI's own, in English, so both say the same thing.
"""

from __future__ import annotations

from collections.abc import Callable

LANGUAGES = ("en", "fr")

STRINGS: dict[str, tuple[str, str]] = {
    "app.title": ("Duty console", "Console de permanence"),
    "lang.other": ("Français", "English"),
    # navigation
    "nav.feed": ("Live feed", "Fil en direct"),
    "nav.map": ("Map", "Carte"),
    "nav.voice": ("Voice alert", "Alerte vocale"),
    "nav.registry": ("Registry", "Registre"),
    "nav.health": ("Health", "État"),
    "nav.audit": ("Audit", "Journal"),
    "nav.wipe": ("Emergency wipe", "Effacement d'urgence"),
    "nav.cap_feed": ("CAP feed", "Flux CAP"),
    "nav.logout": ("Log out", "Déconnexion"),
    # roles
    "role.officer": ("duty officer", "officier de permanence"),
    "role.technician": ("technician", "technicien"),
    "role.admin": ("administrator", "administrateur"),
    "role.partner": ("partner", "partenaire"),
    # logging in
    "login.title": ("Log in", "Connexion"),
    "login.name": ("User name", "Nom d'utilisateur"),
    "login.password": ("Password", "Mot de passe"),
    "login.submit": ("Log in", "Se connecter"),
    "login.wrong": ("Wrong user name or password.", "Nom d'utilisateur ou mot de passe incorrect."),
    "login.too_many": ("Too many failed attempts: wait 15 minutes.",
                       "Trop d'échecs : attendez 15 minutes."),
    # errors
    "error.title": ("Refused", "Refusé"),
    "error.forbidden": ("Your role may not open this page.",
                        "Votre rôle ne permet pas d'ouvrir cette page."),
    "error.csrf": ("The form had expired or did not come from this console: reload the page.",
                   "Le formulaire avait expiré ou ne venait pas de cette console : rechargez la page."),
    "error.not_found": ("Not found.", "Introuvable."),
    # the daemon
    "daemon.down": ("The gateway daemon is NOT running: nothing is received or forwarded. "
                    "This page shows what is stored.",
                    "Le démon de la passerelle NE TOURNE PAS : rien n'est reçu ni transmis. "
                    "Cette page montre ce qui est enregistré."),
    "daemon.up": ("The gateway daemon is running.", "Le démon de la passerelle tourne."),
    # severities, channels, states
    "sev.Extreme": ("Extreme", "Extrême"),
    "sev.Severe": ("Severe", "Grave"),
    "sev.Moderate": ("Moderate", "Modérée"),
    "sev.Minor": ("Minor", "Mineure"),
    "sev.Unknown": ("Unknown", "Inconnue"),
    "channel.sms": ("SMS", "SMS"),
    "channel.call": ("missed call", "appel manqué"),
    "channel.hf": ("HF radio", "radio HF"),
    "channel.voice": ("voice", "voix"),
    "state.seen": ("seen", "vues"),
    "state.unseen": ("not seen", "non vues"),
    "queue.pending": ("pending", "en attente"),
    "queue.done": ("done", "fait"),
    "queue.failed": ("failed", "échoué"),
    "queue.dropped": ("dropped", "abandonné"),
    "via.radio": ("HF radio", "radio HF"),
    "via.phone": ("phone call", "appel téléphonique"),
    "via.in-person": ("in person", "en personne"),
    "via.other": ("other", "autre"),
    # the feed
    "feed.severity": ("Severity", "Gravité"),
    "feed.channel": ("Channel", "Canal"),
    "feed.village": ("Village", "Village"),
    "feed.state": ("State", "État"),
    "feed.all_severities": ("All severities", "Toutes gravités"),
    "feed.all_channels": ("All channels", "Tous canaux"),
    "feed.all_villages": ("All villages", "Tous villages"),
    "feed.all_states": ("Seen or not", "Vues ou non"),
    "feed.filter": ("Filter", "Filtrer"),
    "feed.clear": ("Clear", "Tout afficher"),
    "feed.sound_off": ("Sound off: click to arm", "Son coupé : cliquer pour armer"),
    "feed.sound_on": ("♪ Sound armed", "♪ Son armé"),
    "feed.live": ("live", "en direct"),
    "feed.reconnecting": ("reconnecting…", "reconnexion…"),
    "feed.empty": ("No alert.", "Aucune alerte."),
    "feed.older": ("Older", "Plus anciennes"),
    "feed.lane": ("Needs a person", "À lire"),
    "feed.lane_hint": ("Reports the gateway could not read: read them.",
                       "Messages que la passerelle n'a pas compris : à lire."),
    "feed.lane_empty": ("Nothing to read.", "Rien à lire."),
    "feed.needs_person": ("Unparsed report", "Message non compris"),
    # one alert
    "alert.details": ("Details", "Détails"),
    "alert.received": ("Received", "Reçue"),
    "alert.parts": ("SMS parts", "Parties SMS"),
    "alert.repeats": ("Repeats", "Répétitions"),
    "alert.seen": ("Seen", "Vue"),
    "alert.not_seen": ("Not seen yet", "Pas encore vue"),
    "alert.mark_seen": ("Mark seen", "Marquer vue"),
    "alert.message": ("Message as received", "Message reçu"),
    "alert.ack": ("Acknowledgement", "Accusé de réception"),
    "alert.no_ack": ("None (this sender cannot be answered).",
                     "Aucun (cet expéditeur ne peut pas recevoir de réponse)."),
    "alert.deliveries": ("Delivery to headquarters", "Transmission au QG"),
    "alert.no_delivery": ("No uplink configured.", "Aucune liaison configurée."),
    "alert.destination": ("Link", "Liaison"),
    "alert.state": ("State", "État"),
    "alert.attempts": ("Attempts", "Essais"),
    "alert.done": ("Done", "Fait"),
    "alert.entered_by": ("entered by", "saisie par"),
    "alert.unregistered": ("unregistered sender", "expéditeur non enregistré"),
    # the map
    "map.hint": ("Villages coloured by their most severe alert of the last {hours} hours; "
                 "click one for its alerts.",
                 "Villages colorés selon leur alerte la plus grave des {hours} dernières heures ; "
                 "cliquer pour voir ses alertes."),
    "map.no_villages": ("No village has coordinates: add lat and lon in the registry.",
                        "Aucun village n'a de coordonnées : ajoutez lat et lon au registre."),
    "map.quiet": ("No recent alert", "Pas d'alerte récente"),
    # voice alerts
    "voice.hint": ("An alert heard on HF voice, by phone or in person: it goes to headquarters "
                   "like any other, with your name as the operator.",
                   "Une alerte entendue en phonie HF, par téléphone ou en personne : elle part au QG "
                   "comme les autres, avec votre nom comme opérateur."),
    "voice.code": ("Code", "Code"),
    "voice.count": ("How many", "Combien"),
    "voice.via": ("Heard by", "Reçue par"),
    "voice.sender": ("Focal point's number or callsign (if known)",
                     "Numéro ou indicatif du point focal (si connu)"),
    "voice.note": ("What was said", "Ce qui a été dit"),
    "voice.submit": ("Record the alert", "Enregistrer l'alerte"),
    # the registry
    "registry.focal_points": ("Focal points", "Points focaux"),
    "registry.villages": ("Villages", "Villages"),
    "registry.add_focal": ("Add a focal point", "Ajouter un point focal"),
    "registry.add_village": ("Add a village", "Ajouter un village"),
    "registry.import": ("Import CSV", "Importer un CSV"),
    "registry.search": ("Name, village, number or callsign", "Nom, village, numéro ou indicatif"),
    "registry.find": ("Search", "Chercher"),
    "registry.name": ("Name", "Nom"),
    "registry.phone": ("Phone", "Téléphone"),
    "registry.callsign": ("Callsign", "Indicatif"),
    "registry.language": ("Language", "Langue"),
    "registry.call_meaning": ("A missed call means (code)", "Un appel manqué signifie (code)"),
    "registry.keypad": ("May key in a code during a call", "Peut taper un code pendant un appel"),
    "registry.alt_names": ("Other names (;)", "Autres noms (;)"),
    "registry.position": ("Position", "Position"),
    "registry.lat": ("Latitude", "Latitude"),
    "registry.lon": ("Longitude", "Longitude"),
    "registry.edit": ("Edit", "Modifier"),
    "registry.save": ("Save", "Enregistrer"),
    "registry.remove": ("Remove this focal point", "Retirer ce point focal"),
    "registry.none": ("None.", "Aucun."),
    "registry.more": ("Next", "Suivants"),
    "import.file": ("CSV file (UTF-8)", "Fichier CSV (UTF-8)"),
    "import.choose": ("Choose what to import and a file.", "Choisissez quoi importer et un fichier."),
    "import.not_utf8": ("The file is not UTF-8 text.", "Le fichier n'est pas du texte UTF-8."),
    # health
    "health.links": ("Links", "Liaisons"),
    "health.no_links": ("No link has reported yet.", "Aucune liaison n'a encore rendu compte."),
    "health.queues": ("Queues", "Files d'attente"),
    "health.empty_queues": ("Nothing queued.", "Rien en attente."),
    "health.oldest": ("Oldest undelivered", "Plus ancien non transmis"),
    "health.last_alert": ("Last alert", "Dernière alerte"),
    "health.acks_failing": ("Acknowledgements failing", "Accusés en échec"),
    "health.last_error": ("Last error", "Dernière erreur"),
    "health.store": ("Store", "Base de données"),
    "health.integrity": ("Integrity", "Intégrité"),
    "health.disk": ("Free disk", "Disque libre"),
    "health.min": ("minimum", "minimum"),
    "health.replaced": ("Store replaced", "Base remplacée"),
    "health.version": ("Version", "Version"),
    "health.live_pages": ("Open live pages", "Pages en direct ouvertes"),
    # audit
    "audit.when": ("When", "Quand"),
    "audit.user": ("User", "Utilisateur"),
    "audit.action": ("Action", "Action"),
    "audit.target": ("On", "Sur"),
    "audit.detail": ("Detail", "Détail"),
    "audit.address": ("From", "Depuis"),
    # headquarters' console (cangw console --hq)
    "nav.hq_bases": ("Bases", "Bases"),
    "nav.hq_map": ("Map", "Carte"),
    "nav.hq_incidents": ("Incidents", "Incidents"),
    "nav.hq_shared": ("Shared villages", "Villages partagés"),
    "liveness.online": ("online", "en ligne"),
    "liveness.silent": ("silent", "silencieuse"),
    "liveness.never_heard": ("never heard", "jamais entendue"),
    "hq.bases_summary": ("{total} bases: {online} online, {silent} silent or never heard",
                         "{total} bases : {online} en ligne, {silent} silencieuses ou jamais "
                         "entendues"),
    "hq.collected": ("last message collected", "dernier message collecté"),
    "hq.base": ("Base", "Base"),
    "hq.liveness": ("State", "État"),
    "hq.heard": ("Last heard", "Dernier contact"),
    "hq.waiting": ("Waiting", "En attente"),
    "hq.alerts_24h": ("Alerts (24 h)", "Alertes (24 h)"),
    "hq.open_incidents": ("Open incidents", "Incidents ouverts"),
    "hq.silent_since": ("silent since", "silencieuse depuis"),
    "hq.low_disk": ("disk nearly full", "disque presque plein"),
    "hq.no_bases": ("No base configured or heard from yet.",
                    "Aucune base configurée ni entendue pour l'instant."),
    "hq.all_bases": ("All bases", "Toutes les bases"),
    "hq.reports": ("{n} reports", "{n} signalements"),
    "hq.via_satellite": ("satellite copy", "copie satellite"),
    "hq.no_incidents": ("No incident.", "Aucun incident."),
    "hq.recent_alerts": ("Alerts of the last {hours} hours", "Alertes des {hours} dernières heures"),
    "hq.no_shared": ("No alert from a village two bases cover in the last {hours} hours.",
                     "Aucune alerte d'un village couvert par deux bases ces {hours} dernières "
                     "heures."),
    "hq_state.open": ("Open, seen or responding", "Ouverts, vus ou en réponse"),
    "hq_state.closed": ("Closed", "Clos"),
    "hq_state.false_alarm": ("False alarms", "Fausses alertes"),
    "hq_state.all": ("All states", "Tous états"),
    "incident_state.open": ("open", "ouvert"),
    "incident_state.seen": ("seen", "vu"),
    "incident_state.responding": ("responding", "en réponse"),
    "incident_state.closed": ("closed", "clos"),
    "incident_state.false_alarm": ("false alarm", "fausse alerte"),
    "hq_map.hint": ("Every base's villages, coloured by their most severe alert of the last {hours} "
                    "hours; a dashed red ring: their base is silent. Click one for its alerts.",
                    "Les villages de toutes les bases, colorés selon leur alerte la plus grave des "
                    "{hours} dernières heures ; anneau rouge en tirets : leur base est "
                    "silencieuse. Cliquer pour voir ses alertes."),
    "hq_map.silent": ("Base silent", "Base silencieuse"),
    "hq_shared.hint": ("Villages that two or more bases cover (the same name, or less than 2 km "
                       "apart), with every base's alerts about them.",
                       "Villages couverts par deux bases ou plus (même nom, ou à moins de 2 km), "
                       "avec les alertes de chaque base à leur sujet."),
    "hq_shared.hours": ("last {hours} hours", "{hours} dernières heures"),
    # the emergency wipe (admins)
    "wipe.warning": ("This destroys every number, name and message of base {base}, now and for "
                     "good. Nothing can bring them back.",
                     "Ceci détruit tous les numéros, noms et messages de la base {base}, "
                     "maintenant et pour toujours. Rien ne pourra les rendre."),
    "wipe.what": ("The data key first (from that instant nothing stored is readable), then the "
                  "store, its backups, the keys and the logs; the daemon empties the SIM and "
                  "tells headquarters, then stops until the gateway is set up again.",
                  "La clé des données d'abord (dès cet instant rien n'est lisible), puis la base, "
                  "ses sauvegardes, les clés et les journaux ; le démon vide la SIM et prévient le "
                  "QG, puis s'arrête jusqu'à une nouvelle installation."),
    "wipe.password": ("Your password, again", "Votre mot de passe, à nouveau"),
    "wipe.base_id": ("Type the base id ({base})", "Tapez l'identifiant de la base ({base})"),
    "wipe.submit": ("Wipe the gateway now", "Effacer la passerelle maintenant"),
    "wipe.wrong_password": ("Wrong password: nothing was wiped.",
                            "Mot de passe incorrect : rien n'a été effacé."),
    "wipe.wrong_base": ("That is not this base's id: nothing was wiped.",
                        "Ce n'est pas l'identifiant de cette base : rien n'a été effacé."),
    "wipe.failed": ("The wipe failed: see the console's log.",
                    "L'effacement a échoué : voir le journal de la console."),
    "wiped.title": ("This gateway was wiped", "Cette passerelle a été effacée"),
    "wiped.what": ("Everything base {base} stored was destroyed: the console has nothing left "
                   "to show.",
                   "Tout ce que la base {base} avait enregistré a été détruit : la console n'a "
                   "plus rien à montrer."),
    "wiped.started": ("Wiped at (UTC)", "Effacée à (UTC)"),
    "wiped.trigger": ("Asked by", "Demandé par"),
    "wipe_step.key": ("Data key", "Clé des données"),
    "wipe_step.files": ("Store, backups, keys, logs", "Base, sauvegardes, clés, journaux"),
    "wipe_step.sim": ("SMS on the SIM", "SMS sur la SIM"),
    "wipe_step.mqtt": ("Headquarters told (MQTT)", "QG prévenu (MQTT)"),
    "wipe_step.satellite": ("Headquarters told (satellite)", "QG prévenu (satellite)"),
    "wiped.end": ("End of the wipe", "Fin de l'effacement"),
    "wiped.finishing": ("under way…", "en cours…"),
    "wiped.after": ("The gateway receives nothing until it is set up again "
                    "(sudo cangw setup-after-wipe).",
                    "La passerelle ne reçoit plus rien jusqu'à une nouvelle installation "
                    "(sudo cangw setup-after-wipe)."),
}


def translator(language: str) -> Callable[..., str]:
    """`t(key, **values)` in `language` (English if unknown). A key of a family the console
    does not know all of (a channel added by a new link) shows its last part."""
    index = LANGUAGES.index(language) if language in LANGUAGES else 0

    def t(key: str, **values: object) -> str:
        pair = STRINGS.get(key)
        if pair is None:
            return key.rpartition(".")[2]
        return pair[index].format(**values) if values else pair[index]

    return t
