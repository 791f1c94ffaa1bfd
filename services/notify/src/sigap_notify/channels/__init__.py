"""The ways a notification leaves Sigap, one module each: email (SMTP), webhook (signed
CloudEvents), the city's SMS and WhatsApp gateways, web push; the dashboard's live stream is
in `sigap_notify.dashboard`. `base` holds what every channel shares."""
