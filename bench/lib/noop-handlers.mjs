// The handlers module (--handlers) of the supervisor case: the bench's task type, doing nothing,
// so that what is timed is the queue and the supervisor's IPC, as in the no-op processing cases.
export default { job: async () => null };
