// The --help text.

export const USAGE = `Usage: uproxy [BACKEND] [options]

A reverse proxy: clients connect to uproxy (C1), uproxy forwards to BACKEND (C2).

  BACKEND                   default backend URL (http:// or https://; a bare host:port means http),
                            or several: URL,URL… with an optional weight URL*3
                            default: http://info.cern.ch
  -b, --backend URL[,URL…]  the same, as a flag
  -l, --listen HOST:PORT    where to listen (default 0.0.0.0:8000; port 0 picks a free one);
                            repeatable; write http://HOST:PORT or https://HOST:PORT to choose,
                            else the last one is HTTPS when --tls-cert is given
  -r, --route PREFIX=URL[,URL…]
                            path route, repeatable; the longest matching prefix wins
      --rewrite             strip the matched route prefix before forwarding
      --preserve-host       forward the client's Host instead of the backend's
      --timeout SECONDS     wait this long for backend response headers, then 504 (default 60)
      --read-timeout SECONDS
                            cut the response when the backend sends nothing for this long
                            mid-body (default 60; 0: no limit; raise it for SSE, long polls)
      --grace SECONDS       how long shutdown waits for in-flight exchanges (default 10)
      --ca FILE             trust this PEM CA for https:// backends, repeatable (beside the system CAs)
      --insecure            do not verify https:// backends' certificates (dangerous)
      --backend-h2          speak HTTP/2 to https:// backends (ALPN, one multiplexed connection each)
      --tls-cert FILE       serve HTTPS to clients with this PEM certificate (chain)
      --tls-key FILE        ... and this PEM private key
      --tls-passphrase P    passphrase of an encrypted --tls-key (a --config file keeps it out of ps)
      --sni HOST=CERT,KEY   another certificate for TLS server name HOST, repeatable
      --redirect-http       answer the http:// listener with 308 to the https:// one
      --balance POLICY      how to choose among several backends: round-robin (default),
                            least-connections, ip-hash, two-random-choices
      --vhost HOST=URL[,URL…]
                            backends for requests whose Host is HOST (port ignored; *.example.com
                            for its subdomains), repeatable; other hosts get BACKEND and --route
      --max-fails N         failures within --fail-window that take a backend out (default 1)
      --fail-window SECONDS
                            the window those failures count in (default 10)
      --fail-timeout SECONDS
                            how long a failed backend stays out (default 10)
      --health-path PATH    probe PATH on every backend; 2xx/3xx up, anything else down
      --health-interval SECONDS
                            seconds between probes (default 5)
      --retries N           other backends an exchange may go to when one fails before
                            answering, for GET/HEAD/OPTIONS/PUT/DELETE without a body (default 1)
      --quiet               no access log
      --access-log FILE     append the access log to FILE instead of stdout; SIGUSR1 reopens it
      --access-log-format FORMAT
                            short (default: GET /path 200 12B 3.1ms BACKEND), combined (nginx's,
                            plus upstream address and time) or json (one object a line)
      --config FILE         JSON file with the API's option names (flags override it);
                            SIGHUP reads it again and swaps routes and backends in place
  -h, --help                print this and exit
      --version             print the version and exit
`
