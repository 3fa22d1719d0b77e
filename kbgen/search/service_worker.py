def build_service_worker_files(files, *, precache_limit_bytes):
    return {}
