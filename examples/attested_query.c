/*
 * attested_query: connect to PostgreSQL through ratls_pq_connectdb, print
 * the verified attestation of the server, and run one query.
 *
 *   attested_query CONNINFO [SQL]
 *
 * CONNINFO is a libpq connection string with ratls_ keywords, for example
 *   "host=db.example port=5433 user=app dbname=app ratls_mrtd=<96 hex digits>"
 * and the RATLS_* environment variables apply too (docs/connector.md).
 * SQL defaults to "SELECT version()".
 *
 * Build against an installed ratls:
 *   cc attested_query.c $(pkg-config --cflags --libs ratls) -o attested_query
 */
#include <stdio.h>
#include <stdlib.h>

#include <libpq-fe.h>
#include <ratls/log.h>
#include <ratls/pq.h>

/* The library never prints; this shows its warnings and its log of each verification. */
static void log_to_stderr(enum ratls_log_level level, const char *message, void *arg)
{
	(void)arg;
	if (level <= RATLS_LOG_INFO)
		fprintf(stderr, "ratls: %s\n", message);
}

static void print_hex(const char *label, const uint8_t *data, size_t size)
{
	printf("%-14s", label);
	for (size_t i = 0; i < size; i++)
		printf("%02x", data[i]);
	printf("\n");
}

static void print_attestation(const struct ratls_pq_attestation *att)
{
	const struct ratls_verified_report *report = &att->report;

	printf("server        %s:%s (%s, %s)\n", att->host, att->port, att->tls_version,
	       att->tls_cipher);
	if (!att->attested) {
		printf("attested      NO: accepted without evidence (ratls_allow_simulator)\n");
		return;
	}
	printf("attested      yes, by %s%s\n", att->verifier,
	       att->from_cache ? " (result from the verification cache)" : "");
	printf("TCB status    %s\n", ratls_tcb_status_name(report->status));
	for (size_t i = 0; i < report->advisory_count; i++)
		printf("advisory      %s\n", report->advisory_ids[i]);
	print_hex("MRTD", report->td.mr_td, sizeof(report->td.mr_td));
	for (int i = 0; i < 4; i++) {
		char label[8];

		snprintf(label, sizeof(label), "RTMR%d", i);
		print_hex(label, report->td.rtmr[i], sizeof(report->td.rtmr[i]));
	}
	if (att->has_identity) {
		print_hex("app id", att->app_id, att->app_id_size);
		print_hex("compose hash", att->compose_hash, att->compose_hash_size);
		print_hex("instance id", att->instance_id, att->instance_id_size);
	}
	if (report->custom_root)
		printf("trust root    a test root, not Intel's (ratls_trust_root)\n");
}

static int run_query(PGconn *conn, const char *sql)
{
	PGresult *result = PQexec(conn, sql);
	int status = EXIT_SUCCESS;

	if (PQresultStatus(result) == PGRES_TUPLES_OK) {
		for (int row = 0; row < PQntuples(result); row++) {
			for (int col = 0; col < PQnfields(result); col++)
				printf("%s%s", col > 0 ? " | " : "", PQgetvalue(result, row, col));
			printf("\n");
		}
	} else if (PQresultStatus(result) != PGRES_COMMAND_OK) {
		fprintf(stderr, "query failed: %s", PQerrorMessage(conn));
		status = EXIT_FAILURE;
	}
	PQclear(result);
	return status;
}

int main(int argc, char **argv)
{
	struct ratls_detail detail = {0};
	struct ratls_pq_options *options;
	PGconn *conn;
	int code, status;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: %s CONNINFO [SQL]\n", argv[0]);
		return 2;
	}
	ratls_set_log_callback(log_to_stderr, NULL);

	/*
	 * Options set in code sit between the environment and the connection
	 * string. One options object shared by all connections also shares the
	 * verifier and its collateral cache.
	 */
	options = ratls_pq_options_new();
	if (options == NULL ||
	    ratls_pq_options_set(options, "connect_timeout", "10", &detail) != RATLS_OK) {
		fprintf(stderr, "ratls options: %s\n", detail.message);
		return EXIT_FAILURE;
	}

	/* No byte of PostgreSQL's protocol leaves the process before the server is verified. */
	conn = ratls_pq_connectdb(argv[1], options);
	if (conn == NULL) {
		fprintf(stderr, "out of memory\n");
		return EXIT_FAILURE;
	}
	if (PQstatus(conn) != CONNECTION_OK) {
		/* The ratls code names the failed check; PQerrorMessage has the same text. */
		code = ratls_pq_error(conn, &detail);
		fprintf(stderr, "connection failed: %s", PQerrorMessage(conn));
		if (code != RATLS_OK)
			fprintf(stderr, "ratls error class: %s (%s)\n",
				ratls_error_class_name(ratls_error_class(code)),
				ratls_error_name(code));
		PQfinish(conn);
		ratls_pq_options_free(options);
		return EXIT_FAILURE;
	}

	print_attestation(ratls_pq_attestation(conn));
	status = run_query(conn, argc == 3 ? argv[2] : "SELECT version()");

	/* PQfinish also stops the connection's thread and removes its private socket. */
	PQfinish(conn);
	ratls_pq_options_free(options);
	return status;
}
