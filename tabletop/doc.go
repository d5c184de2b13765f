// Package tabletop is the simulated AWS account of tabletop exercises: a
// facilitator trains a team on the same wizard, CLI and containment
// changes as in a real incident, against an account described in a
// scenario file, and nothing an exercise does can reach AWS.
//
// # Choosing the scenario
//
// main wraps the AWS connector with Connector. A profile marked Exercise
// (app.Profile.Exercise, which the app demands for exercise incidents and
// refuses for real ones) gets a simulated Account and never reaches the
// AWS connector; the profile's name picks the scenario:
//
//	tabletop            the built-in scenario (DefaultScenario, public-exports)
//	tabletop:ID         another built-in scenario, by its id
//	tabletop:FILE       a scenario file, read again at every connection
//
// On the command line `--profile tabletop` or `--scenario FILE` marks the
// profile as an exercise's (app.IsSimulatedProfileName); a real incident
// refuses such a profile, and an exercise refuses any other.
//
// # State
//
// The account's state (bucket policies and Block Public Access, the
// account's Block Public Access, access keys, inline and trust policies,
// object ACLs) starts as the scenario describes it and changes only
// through the app's change use cases, so plans, confirmations, the
// journal, verification, resume and undo behave as on AWS; simulated S3
// refuses what S3 refuses (a public policy under BlockPublicPolicy, ACLs
// on a bucket whose ACLs are disabled). Exposure verdicts come from the
// exposure package over the current state.
//
// Nothing is stored outside the incident: the Account implements
// app.IncidentCloud, and the app hands it the incident's change journal
// each time it opens the incident's connection. The state is the scenario
// with every write the journal records as applied, replayed in the order
// the writes went through; so a change applied by one CLI command is there
// for the next, after a restart, and two exercises on the same scenario
// never see each other's changes. A step in doubt (an intent without a
// result, the mark of a crash) is taken as not sent: resuming it sends it.
// The responders' own calls also appear in the simulated CloudTrail, at
// the time the journal gives them.
//
// # Scenario format
//
// A scenario is one YAML document. Unknown fields are errors, and every
// problem is reported with its line and column (ScenarioErrors). Policies
// are JSON text (a block scalar, as AWS shows them) or YAML mappings,
// kept as compact JSON; times are RFC 3339.
//
//	id, title, briefing          the scenario; the briefing is for the facilitator
//	account, region              twelve-digit account id (quoted); home region
//	canonicalId                  the owner in ACLs (derived when left out)
//	caller: arn, userId, accessKeyId, sourceIp
//	                             who the team acts as
//	accountPublicAccessBlock     blockPublicAcls, ignorePublicAcls,
//	                             blockPublicPolicy, restrictPublicBuckets
//	buckets[]                    name, region, created, policy, acl (canned),
//	                             grants[] (grantee: AllUsers, AuthenticatedUsers,
//	                             LogDelivery, owner, id:CANONICAL, email:ADDR;
//	                             permission), publicAccessBlock, ownership,
//	                             versioning, encryption (algorithm, kmsKeyId,
//	                             bucketKey; left out: SSE-S3, as every S3
//	                             bucket since 2023), logging (targetBucket,
//	                             targetPrefix), tags, website (index document),
//	                             objectLock, replication, lifecycle[], objects[]
//	objectLock                   Object Lock on (versioning Enabled needed);
//	                             mode (GOVERNANCE, COMPLIANCE) with days or
//	                             years is the default retention
//	replication                  role (ARN), destination (another bucket of the
//	                             scenario, the replica; both versioned),
//	                             prefix, storageClass: objects written later
//	                             are copied there (delete markers are not)
//	lifecycle[]                  id, prefix, status, transitionDays and
//	                             transitionClass, expirationDays, noncurrentDays
//	objects[]                    key, size, lastModified, storageClass (STANDARD,
//	                             GLACIER, DEEP_ARCHIVE, GLACIER_IR, ...), body
//	                             (the content; size and ETag follow), acl,
//	                             grants[], restore (tier, requested, days: a
//	                             restore of an archived object under way or
//	                             done), versions[] (versionId, size,
//	                             lastModified, deleteMarker, storageClass,
//	                             body), deleteMarker (the current version is a
//	                             delete marker)
//	users[]                      name, path, created, accessKeys[] (id, status,
//	                             created, lastUsed: time, service, region),
//	                             inlinePolicies (name: document), attachedPolicies,
//	                             groups (names, as ListGroupsForUser gives them)
//	roles[]                      name, path, created, maxSessionDuration,
//	                             trustPolicy, inlinePolicies, attachedPolicies,
//	                             instanceProfiles (names of the instance
//	                             profiles that hold the role)
//	ec2                          instances[] (id, name, region, state,
//	                             instanceProfile, keyName, launched, platform,
//	                             httpTokens: optional or required, httpEndpoint,
//	                             hopLimit), keyPairs[] (name, id, region, type,
//	                             fingerprint, created) and launchTemplates[]
//	                             (id, name, region, created, defaultVersion,
//	                             versions[]: keyName, description, created);
//	                             ids, fingerprints and regions are derived when
//	                             left out
//	cloudtrail[]                 id, time, name, source, region, actor (an ARN
//	                             or "anonymous"), accessKeyId, sourceIp,
//	                             userAgent, bucket, key, role, errorCode,
//	                             bytesOut (what a read sent, for Athena),
//	                             requestParameters; an event later than the
//	                             clock shows only once the exercise reaches it
//	                             (an inject)
//	insights[]                   CloudTrail Insights events: id, time, region,
//	                             state, type, eventName, errorCode, average,
//	                             baseline, duration, attributions[]
//	accessAnalyzer               analyzers[] (name, region, type, status,
//	                             created) and findings[] (id, analyzer,
//	                             bucket or role, principal, actions,
//	                             condition, public, sources, created); a
//	                             finding resolves when the state no longer
//	                             grants what it reports
//	macie[]                      Macie's daily counts per region: region,
//	                             enabled, lastUpdated, buckets,
//	                             publiclyAccessible, publiclyReadable,
//	                             publiclyWritable, sharedExternal,
//	                             sharedInternal, notShared
//
// For example, a versioned bucket with Object Lock that replicates to a
// replica, and an archived object whose restore was asked for:
//
//	buckets:
//	  - name: acme-ledgers
//	    versioning: Enabled
//	    objectLock: {mode: GOVERNANCE, days: 30}
//	    replication:
//	      role: arn:aws:iam::111122223333:role/ReplicationRole
//	      destination: acme-ledgers-replica
//	    lifecycle:
//	      - {id: archive, prefix: ledgers/, transitionDays: 90, transitionClass: GLACIER}
//	    objects:
//	      - key: ledgers/2019.csv
//	        storageClass: GLACIER
//	        size: 52000
//	        restore: {tier: Bulk, requested: 2026-11-24T08:00:00Z, days: 3}
//	      - key: ledgers/2026.csv
//	        body: "date,amount\n2026-11-01,100\n"
//	        versions:
//	          - {size: 12, storageClass: STANDARD}
//	  - name: acme-ledgers-replica
//	    versioning: Enabled
//
// Simulated S3 keeps every version it is given or that is written, with
// its ETag: the body's MD5, or for an object given by its size only,
// that of stand-in bytes which follow from its key and size (so a
// replica's copy, same key and size, has the original's ETag);
// restores of GLACIER and DEEP_ARCHIVE objects complete after their tier's
// time (Expedited 5 minutes, Standard 5 hours, Bulk 12 hours; Deep
// Archive: Standard 12, Bulk 48 hours) on the exercise's clock, and S3
// Batch Operations jobs (PutObjectAcl, restores) complete three minutes
// after they are created, writing their completion report. The simulated
// S3 refuses what S3's configuration refuses (a public policy or ACL under
// Block Public Access, ACLs on a bucket without ACLs, Object Lock
// retention, archived bytes), with S3's codes and statuses; it does not
// evaluate the policies that would allow or deny the responders' own
// calls.
//
// For example, an instance that carries a role and was launched with a
// key pair the intruder holds, and the launch template that names it:
//
//	roles:
//	  - name: DataPipelineRole
//	    trustPolicy:
//	      Version: "2012-10-17"
//	      Statement:
//	        - {Effect: Allow, Principal: {Service: ec2.amazonaws.com}, Action: "sts:AssumeRole"}
//	    instanceProfiles: [DataPipelineProfile]
//	ec2:
//	  instances:
//	    - id: i-0a1b2c3d4e5f60718
//	      name: etl-worker-1
//	      instanceProfile: DataPipelineProfile
//	      keyName: ci-build-2025
//	      httpTokens: optional
//	  keyPairs:
//	    - name: ci-build-2025
//	      created: 2025-02-10T16:45:00Z
//	  launchTemplates:
//	    - name: etl-workers
//	      defaultVersion: 1
//	      versions:
//	        - keyName: ci-build-2025
//	users:
//	  - name: dana.ops
//	    groups: [operations]
//
// # The simulated AWS APIs
//
// Beside the Account, the package answers the aws package's own API
// interfaces (aws.Clients) over one backend, so that the same code plans,
// applies, verifies and undoes on AWS and in an exercise: IAM (api_iam.go),
// EC2 (api_ec2.go), CloudTrail LookupEvents with Insights (api_trail.go),
// IAM Access Analyzer (api_analyzer.go), Macie (api_macie.go) and Athena
// over the simulated trail (api_athena.go; only the queries the app
// writes, unedited). Every change made through them is filed in the
// simulated CloudTrail at the clock's time, by the scenario's caller.
//
// The access-changes lookup returns the scenario's changes of access
// whatever their age (and says so when they are older than CloudTrail's
// 90 days), so a scenario keeps working long after the dates it was
// written with. Log downloads are not simulated.
package tabletop
