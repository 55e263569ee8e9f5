// Who is signed in. There is no sign-in yet, so nobody is, and nobody is support staff;
// `isAgent` decides whether the Agent screen is offered.

class AccountStore {
  isAgent = $state(false);
}

export const account = new AccountStore();
