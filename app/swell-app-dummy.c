/* Keeps libswell-app non-empty while areas are added. */
int swell_app_linked(void);
int swell_app_linked(void) { return 1; }
