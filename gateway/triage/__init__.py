"""Signal from noise: incidents with independent corroboration, flood control, the silence watch
and the network report (README, "Incidents")."""
