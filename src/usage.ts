// The --help text.

export const USAGE = `Usage: uproxy [BACKEND] [options]

A reverse proxy: clients connect to uproxy (C1), uproxy forwards to BACKEND (C2).

  BACKEND                   default backend URL (http:// or https://; a bare host:port means http)
                            default: http://info.cern.ch
  -b, --backend URL         the same, as a flag
  -l, --listen HOST:PORT    where to listen (default 0.0.0.0:8000; port 0 picks a free one);
                            repeatable; write http://HOST:PORT or https://HOST:PORT to choose,
                            else the last one is HTTPS when --tls-cert is given
  -r, --route PREFIX=URL    path route, repeatable; the longest matching prefix wins
      --rewrite             strip the matched route prefix before forwarding
      --preserve-host       forward the client's Host instead of the backend's
      --timeout SECONDS     wait this long for backend response headers, then 504 (default 60)
      --grace SECONDS       how long shutdown waits for in-flight exchanges (default 10)
      --ca FILE             trust this PEM CA for https:// backends, repeatable (beside the system CAs)
      --insecure            do not verify https:// backends' certificates (dangerous)
      --backend-h2          speak HTTP/2 to https:// backends (ALPN, one multiplexed connection each)
      --tls-cert FILE       serve HTTPS to clients with this PEM certificate (chain)
      --tls-key FILE        ... and this PEM private key
      --tls-passphrase P    passphrase of an encrypted --tls-key (a --config file keeps it out of ps)
      --sni HOST=CERT,KEY   another certificate for TLS server name HOST, repeatable
      --redirect-http       answer the http:// listener with 308 to the https:// one
      --quiet               no access log
      --config FILE         JSON file with the API's option names (flags override it)
  -h, --help                print this and exit
      --version             print the version and exit
`
