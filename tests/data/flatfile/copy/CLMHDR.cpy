000100* Claim header (fixed format, sequence numbers and ids)           CLMHDR
000200     05  CLAIM-ID          PIC 9(6).                              CLMHDR
000300     05  CLAIM-TYPE        PIC X(2).                              CLMHDR
000400         88  CLAIM-HOUSING VALUE 'HB'.                            CLMHDR
